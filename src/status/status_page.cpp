// The one page of the status service: it fetches /api/status every second
// and draws the progress bar, a lane per rank and the throughput over time.
// Everything is inline (clusters are offline).
#include "status/status_server.hpp"

namespace shardrun::status {

const std::string& status_page() {
  static const std::string page = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>shardrun status</title>
<style>
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1100px}
#bar{background:#eee;height:26px;border-radius:4px;overflow:hidden}
#fill{background:#4682b4;height:100%;width:0}
table{border-collapse:collapse;margin-top:1em}td,th{padding:2px 10px;text-align:right}
.lane{background:#eee;height:12px;width:300px;display:inline-block}
.lane div{background:#4682b4;height:100%}
#state{font-weight:bold}
</style></head><body>
<h1>shardrun <span id="job"></span></h1>
<p><span id="state">connecting</span> &middot; <span id="progress"></span> &middot; <span id="rate"></span> &middot; ETA <span id="eta">-</span> &middot; checkpoint <span id="ckpt">-</span> &middot; running <span id="running">-</span><span id="failed"></span></p>
<div id="bar"><div id="fill"></div></div>
<h2>Throughput</h2>
<svg id="tp" width="1000" height="120" viewBox="0 0 1000 120" style="background:#fafafa"><polyline id="tpline" fill="none" stroke="#4682b4" stroke-width="1.5" points=""/></svg>
<h2>Ranks</h2>
<table><thead><tr><th>rank</th><th>shards</th><th>busy</th><th>steals</th><th>stolen</th><th></th></tr></thead><tbody id="ranks"></tbody></table>
<script>
"use strict";
function fmt(s){if(s===null||s<0)return "-";s=Math.round(s);const h=Math.floor(s/3600),m=Math.floor(s%3600/60),x=s%60;return (h?h+":":"")+String(m).padStart(h?2:1,"0")+":"+String(x).padStart(2,"0");}
function rate(st){const r=st.throughput;return r.bytes_per_s>0?(r.bytes_per_s/1e9).toFixed(2)+" GB/s":r.items_per_s.toPrecision(3)+" items/s";}
function draw(st){
  document.getElementById("job").textContent=st.job;
  document.getElementById("state").textContent=st.state;
  const p=st.progress;
  document.getElementById("progress").textContent=(100*p.fraction).toFixed(1)+"% "+p.shards_done+"/"+p.shards_total+" shards";
  document.getElementById("fill").style.width=(100*p.fraction)+"%";
  document.getElementById("rate").textContent=rate(st);
  document.getElementById("eta").textContent=fmt(st.eta_s);
  document.getElementById("running").textContent=p.shards_running+(st.tasks?" tasks":" shards");
  document.getElementById("failed").textContent=st.tasks?" \u00b7 failed attempts "+st.tasks.failed_attempts:"";
  document.getElementById("ckpt").textContent=st.checkpoint_age_s===null?"none":fmt(st.checkpoint_age_s)+" ago";
  const h=st.history;let pts="";
  if(h.length>1){const t0=h[0][0],t1=h[h.length-1][0];let rates=[];
    for(let i=1;i<h.length;i++){const dt=h[i][0]-h[i-1][0];rates.push([h[i][0],dt>0?(h[i][1]-h[i-1][1])/dt:0]);}
    const top=Math.max(...rates.map(r=>r[1]),1e-9);
    for(const r of rates)pts+=((r[0]-t0)/Math.max(t1-t0,1e-9)*1000).toFixed(1)+","+(115-r[1]/top*110).toFixed(1)+" ";}
  document.getElementById("tpline").setAttribute("points",pts);
  const body=document.getElementById("ranks");body.textContent="";
  for(const r of st.per_rank){const tr=document.createElement("tr");
    for(const v of [r.rank,r.shards_done,(100*r.busy_fraction).toFixed(0)+"%",r.steals,r.stolen_shards]){const td=document.createElement("td");td.textContent=v;tr.appendChild(td);}
    const td=document.createElement("td"),lane=document.createElement("span"),bar=document.createElement("div");
    lane.className="lane";bar.style.width=Math.min(100,100*r.busy_fraction)+"%";lane.appendChild(bar);td.appendChild(lane);tr.appendChild(td);body.appendChild(tr);}
}
async function poll(){
  try{const res=await fetch("/api/status",{cache:"no-store"});draw(await res.json());}
  catch(e){document.getElementById("state").textContent="not reachable (the run has ended?)";}
  setTimeout(poll,1000);
}
poll();
</script></body></html>
)HTML";
  return page;
}

}  // namespace shardrun::status
