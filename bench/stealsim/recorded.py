#!/usr/bin/env python3
"""stealsim against measurements already recorded: bench/results/imbalance.csv
(2 ranks on one host; 4 and 8 ranks oversubscribed on 2 cores; 200,000 empty
shards) and bench/results/hosts.csv (2 ranks on one host and on two emulated
hosts over TCP). Runs only the simulator (no MPI, no shardrun), one run per
case, and writes bench/results/stealsim/recorded.{md,csv}.

    /usr/bin/python3 bench/stealsim/recorded.py [--quantum-us Q] [--hosts-csv PATH]
        [--sim-args "--protocol bounded --prefetch depth --ticks scaled" --tag now]

--hosts-csv / --imbalance-csv: the measurements to compare with (default the
files in bench/results; e.g. `git show HEAD:bench/results/hosts.csv` saved to
a file for the measurements of an older code). --sim-args: simulator options
added to every run (the model of another version of the code); --tag: write
recorded-TAG.{md,csv} instead of recorded.{md,csv}. The simulator runs under
nice 19 and is stopped while an MPI program or shardrun runs (scale.py's
run_paused).

The measured figures are the medians over each study's repetitions. Cases
with --slow-rank are skipped (the simulator has no slow ranks). The
per-shard overhead (5 us) was itself taken from the empty-shards study, so
that row is a calibration, not a test.
"""
import argparse
import csv
import os
import shlex
import statistics
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(ROOT, "bench", "results")
OUT = os.path.join(RESULTS, "stealsim")
SOURCE = os.path.join(HERE, "stealsim.cpp")
sys.path.insert(0, HERE)
from scale import run_paused  # noqa: E402  (nice 19, paused while MPI runs)

# hosts.py's cases: name -> (items, mean us, cost, shards or 0)
HOSTS_CASES = {f"imbalance {c}": (100_000, 50, c, 0)
               for c in ["uniform", "linear", "sorted-desc", "bimodal", "pareto:1.5"]}
HOSTS_CASES.update({
    "0.1 ms shards, sorted-desc": (20_000, 100, "sorted-desc", 20_000),
    "0.1 ms shards, pareto:1.5": (20_000, 100, "pareto:1.5", 20_000),
    "1 ms shards, sorted-desc": (4_000, 1_000, "sorted-desc", 4_000),
    "10 ms shards, sorted-desc": (400, 10_000, "sorted-desc", 400),
    "10 ms shards, pareto:1.5": (400, 10_000, "pareto:1.5", 400),
    "100 ms shards, sorted-desc": (40, 100_000, "sorted-desc", 40),
    "1 s shards, sorted-desc": (8, 1_000_000, "sorted-desc", 8),
})


def simulator(workdir):
    binary = os.path.join(workdir, "stealsim")
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(SOURCE):
        os.makedirs(workdir, exist_ok=True)
        subprocess.run(["nice", "-n", "19", "g++", "-std=c++20", "-O2", "-o", binary, SOURCE], check=True)
    return binary


def sim(binary, ranks, items, mean, cost, shards, where, cores, quantum, extra=()):
    cmd = [binary, "--ranks", str(ranks), "--threads", "1", "--items", str(items), "--mean-us", f"{mean:g}",
           "--cost", cost, "--format", "csv", "--header"] + list(extra)
    if shards:
        cmd += ["--shards", str(shards)]
    if where == "two hosts":
        cmd += ["--net", "tcp", "--ranks-per-node", "1"]
    else:
        cmd += ["--net", "sm"]
        if ranks > cores:
            cmd += ["--cores", str(cores), "--quantum-us", f"{quantum:g}"]
    returncode, out, err, _, _, _ = run_paused(["nice", "-n", "19"] + cmd)
    if returncode != 0:
        sys.exit(f"recorded: failed ({returncode}): {shlex.join(cmd)}\n{err}")
    header, values = out.strip().splitlines()[:2]
    row = dict(zip(header.split(","), values.split(",")))
    return row, " ".join(cmd[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quantum-us", type=float, default=1500)
    ap.add_argument("--workdir", default="/tmp/stealsim-validate")
    ap.add_argument("--hosts-csv", default=os.path.join(RESULTS, "hosts.csv"))
    ap.add_argument("--imbalance-csv", default=os.path.join(RESULTS, "imbalance.csv"))
    ap.add_argument("--hosts-label", help="how to name --hosts-csv in the output (default its path)")
    ap.add_argument("--sim-args", default="", help="simulator options added to every run")
    ap.add_argument("--tag", default="", help="write recorded-TAG.{md,csv}")
    a = ap.parse_args()
    extra = shlex.split(a.sim_args)
    name = f"recorded-{a.tag}" if a.tag else "recorded"
    binary = simulator(a.workdir)
    rows = []

    groups = defaultdict(list)
    with open(a.imbalance_csv) as f:
        for r in csv.DictReader(f):
            if r["tool"] != "steal" or r["study"] not in ("imbalance", "oversub", "overhead"):
                continue
            if "slow" in r["case"]:
                continue
            groups[(r["study"], r["case"], int(r["ranks"]))].append(r)
    for (study, case, ranks), runs in groups.items():
        r0 = runs[0]
        cores = int(r0["cores"])
        items, mean, shards = int(r0["items"]), float(r0["mean_us"]), int(r0["shards"])
        cost = "uniform" if study == "overhead" else case
        explicit = shards if study == "overhead" else 0
        s, cmd = sim(binary, ranks, items, mean, cost, explicit, "one host", cores, a.quantum_us, extra)
        med = lambda k: statistics.median(float(x[k]) for x in runs)
        rows.append({
            "source": "imbalance.csv", "study": study, "case": case, "ranks": ranks, "where": "one host",
            "oversubscribed": ranks > cores, "reps": len(runs), "shards": shards,
            "real_makespan_s": med("seconds"), "sim_makespan_s": float(s["makespan_s"]),
            "real_efficiency": med("efficiency"), "sim_efficiency": float(s["efficiency"]),
            "real_cores_efficiency": 1 / med("nominal_ratio") if runs[0]["nominal_ratio"] else "",
            "sim_cores_efficiency": float(s["utilization"]),
            "real_steals": med("steals"), "sim_steals": float(s["steals_mean"]) * ranks,
            "real_stolen": med("stolen_shards"), "sim_stolen": float(s["stolen_shards_mean"]) * ranks,
            "sim_command": cmd,
        })

    hosts = defaultdict(list)
    with open(a.hosts_csv) as f:
        for r in csv.DictReader(f):
            if r["case"] in HOSTS_CASES:
                hosts[(r["case"], r["where"])].append(r)
    for (case, where), runs in hosts.items():
        items, mean, cost, shards = HOSTS_CASES[case]
        s, cmd = sim(binary, 2, items, mean, cost, shards, where, int(runs[0]["cores"]), a.quantum_us, extra)
        med = lambda k: statistics.median(float(x[k]) for x in runs)
        rows.append({
            "source": "hosts.csv", "study": "hosts", "case": case, "ranks": 2, "where": where,
            "oversubscribed": False, "reps": len(runs), "shards": int(s["shards"]),
            "real_makespan_s": med("makespan_s"), "sim_makespan_s": float(s["makespan_s"]),
            "real_efficiency": med("efficiency"), "sim_efficiency": float(s["efficiency"]),
            "real_cores_efficiency": "", "sim_cores_efficiency": float(s["utilization"]),
            "real_steals": "", "sim_steals": float(s["steals_mean"]) * 2,
            "real_stolen": "", "sim_stolen": float(s["stolen_shards_mean"]) * 2,
            "sim_command": cmd,
        })

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    rel = lambda s, r: f"{100 * (s - r) / r:+.1f} %" if r else "—"
    lines = [
        "# stealsim against recorded measurements", "",
        "`/usr/bin/python3 bench/stealsim/recorded.py` (simulator only; the measurements are the ones in "
        "`bench/results/imbalance.csv` and `bench/results/hosts.csv`, medians over their repetitions). "
        "One host: `--net sm`, and with more ranks than the 2 cores `--cores 2 --quantum-us "
        f"{a.quantum_us:g}` (round-robin, a worker yields its core when a shard ends). Two emulated hosts: "
        "`--net tcp --ranks-per-node 1` (22.5 µs per operation, which completes only when the target's main "
        "thread is inside MPI, every 200 µs while it waits for shards). The empty-shards row calibrated the "
        "5 µs per-shard overhead.", "",
        f"Measurements: `{os.path.relpath(a.imbalance_csv, ROOT)}`, {a.hosts_label or '`' + a.hosts_csv + '`'}. "
        f"Simulator options added to every run: `{a.sim_args or '(none: the old code)'}`.", "",
        "| study | case | ranks | where | shards | makespan s real | sim | err | `/run` efficiency real | sim | "
        "err | steals real (shards) | sim |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        steals = (f"{r['real_steals']:.0f} ({r['real_stolen']:.0f})" if r["real_steals"] != "" else "—")
        lines.append(
            f"| {r['study']} | {r['case']} | {r['ranks']}{' (oversubscribed)' if r['oversubscribed'] else ''} | "
            f"{r['where']} | {r['shards']} | {r['real_makespan_s']:.3f} | {r['sim_makespan_s']:.3f} | "
            f"{rel(r['sim_makespan_s'], r['real_makespan_s'])} | {r['real_efficiency']:.3f} | "
            f"{r['sim_efficiency']:.3f} | {rel(r['sim_efficiency'], r['real_efficiency'])} | {steals} | "
            f"{r['sim_steals']:.0f} ({r['sim_stolen']:.0f}) |")
    over = [r for r in rows if r["oversubscribed"]]
    if over:
        lines += ["", "Oversubscribed rows, nominal work / (2 cores x makespan): " + "; ".join(
            f"{r['case']} {r['ranks']}: real {r['real_cores_efficiency']:.3f}, sim {r['sim_cores_efficiency']:.3f}"
            for r in over) + "."]
    lines += ["", f"Raw data: `{name}.csv` (with each simulator command line)."]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, name + ".md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
