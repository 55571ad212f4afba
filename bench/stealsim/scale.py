#!/usr/bin/env python3
"""Scale study of the steal protocol with bench/stealsim/stealsim (simulator
only): 1,000, 10,000 and 100,000 ranks x 1 thread, 64 ranks per node, the
current protocol against the proposed one (protocol.patch: bounded random
probes, stop tree), weak scaling with two plans:

  synthetic  `shardrun run synthetic --items 20000*P --mean-us 50` with its
             default plan (shards of ceil(items/4096) items: 4,096 shards
             whatever P; 1 s of work per rank)
  dataset    16 shards per rank of 4 MiB, the dataset default
             (ShardPlan::kTargetShardBytes): 1 KiB rows, 4,096 rows a shard,
             items = 65,536*P, 10 us a row (41 ms a shard, 0.66 s per rank)

costs pareto:1.5 and sorted-desc (the synthetic formulas, per row), and two
networks: tcp (osc/pt2pt over TCP as measured in bench/results/hosts.md:
22.5 us per operation, completing only when the target's main thread is
inside MPI) and fabric (assumed: ~2 us RDMA atomics, no target progress).
Then a few runs beyond the protocol (executor prefetch, initial layout,
other seeds, start skew). Writes bench/results/stealsim/scale.{csv,md}.

    /usr/bin/python3 bench/stealsim/scale.py [--quick] [--only-ranks 1000,10000]
    /usr/bin/python3 bench/stealsim/scale.py --study now [--reuse-from DIR --reuse-ranks 100000]

--study now: the code as it is now (protocol bounded, --prefetch depth, --ticks
scaled) against the old code (current, always, rank0) on the main cases
(synthetic: pareto:1.5, sorted-desc; dataset: pareto:1.5, pareto:3,
sorted-desc; fabric and tcp) and seeds 2 and 3 (dataset, pareto:1.5, 10,000
ranks); writes bench/results/stealsim/now.{csv,md}. --reuse-from takes the
old code's runs at --reuse-ranks from an earlier study's workdir (same
simulator defaults) instead of running them again; --cpu-limit-s skips a
run that needs more simulator CPU than that.

Each run's CSV line is kept in --workdir (default /tmp/stealsim-scale), so an
interrupted study resumes; shard costs are cached there too. Runs under nice 19,
and stops the simulator while any MPI program or shardrun runs on the machine
(--no-yield: do not).
"""
import argparse
import csv
import math
import os
import resource
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "bench", "results", "stealsim")
SOURCE = os.path.join(HERE, "stealsim.cpp")
RANKS_PER_NODE = 64


def plan_args(plan, p):
    if plan == "synthetic":
        return ["--items", str(20_000 * p), "--mean-us", "50"]
    return ["--items", str(65_536 * p), "--shard-items", "4096", "--mean-us", "10"]


def configs(ranks):
    out = []
    for plan in ["synthetic", "dataset"]:
        for cost in ["pareto:1.5", "sorted-desc"]:
            for net in ["fabric", "tcp"]:
                for p in ranks:
                    for proto in ["current", "bounded"]:
                        out.append(dict(group="main", plan=plan, cost=cost, net=net, ranks=p, protocol=proto))
    # beyond the protocol: executor prefetch and initial layout (dataset plan, fabric)
    for cost in ["sorted-desc", "pareto:1.5"]:
        for p in ranks:
            out.append(dict(group="beyond", plan="dataset", cost=cost, net="fabric", ranks=p, protocol="bounded",
                            extra=["--prefetch", "adaptive", "--wake-us", "20"], variant="adaptive prefetch"))
            out.append(dict(group="beyond", plan="dataset", cost=cost, net="fabric", ranks=p, protocol="bounded",
                            extra=["--prefetch", "adaptive", "--wake-us", "20", "--layout", "strided"],
                            variant="adaptive prefetch + strided layout"))
    # a lighter tail (finite variance): no single item decides the makespan
    for net in ["fabric", "tcp"]:
        for p in ranks:
            for proto in ["current", "bounded"]:
                out.append(dict(group="light", plan="dataset", cost="pareto:3", net=net, ranks=p, protocol=proto,
                                variant=proto))
    # pareto:1.5 depends on where the largest items fall: other seeds
    for seed in [2, 3]:
        for proto in ["current", "bounded"]:
            for p in [x for x in ranks if x <= 10_000]:
                out.append(dict(group="seeds", plan="dataset", cost="pareto:1.5", net="fabric", ranks=p,
                                protocol=proto, extra=["--seed", str(seed)], variant=f"seed {seed}"))
    # execution.cpp's 200 ms counter ticks (outside the patch): 2 s, or none
    big = max(ranks)
    for cost, net in [("sorted-desc", "tcp"), ("pareto:1.5", "tcp"), ("sorted-desc", "fabric")]:
        for tick in ["2000", "0"]:
            out.append(dict(group="ticks", plan="dataset", cost=cost, net=net, ranks=big, protocol="bounded",
                            extra=["--tick-ms", tick], variant=f"ticks every {tick} ms" if tick != "0" else "no ticks"))
    # rank 0's tick bursts: ranks leaving the start barrier 10 ms apart at most
    big = max(ranks)
    for proto in ["current", "bounded"]:
        out.append(dict(group="skew", plan="dataset", cost="pareto:1.5", net="fabric", ranks=big, protocol=proto,
                        extra=["--start-jitter-us", "10000"], variant="start skew 10 ms"))
    return out


def key(c):
    extra = "_".join(c.get("extra", [])).replace("-", "").replace(":", "")
    return f"{c['plan']}.{c['cost'].replace(':', '')}.{c['net']}.{c['ranks']}.{c['protocol']}{('.' + extra) if extra else ''}"


def simulator(workdir):
    binary = os.path.join(workdir, "stealsim")
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(SOURCE):
        os.makedirs(workdir, exist_ok=True)
        subprocess.run(["nice", "-n", "19", "g++", "-std=c++20", "-O2", "-o", binary, SOURCE], check=True)
    return binary


def command(binary, workdir, c):
    return ["nice", "-n", "19", binary, "--ranks", str(c["ranks"]), "--threads", "1",
            "--ranks-per-node", str(RANKS_PER_NODE), "--net", c["net"], "--protocol", c["protocol"],
            "--cost", c["cost"]] + plan_args(c["plan"], c["ranks"]) + c.get("extra", []) + \
           ["--cost-cache", os.path.join(workdir, "costs"), "--label", key(c), "--format", "csv", "--header"]


# Benchmarks of the real code may run on this machine meanwhile: the
# simulator is stopped (SIGSTOP) while any of these runs, so it adds no CPU
# load, cache pressure or wake-up latency to their figures.
MPI_NAMES = {"mpirun", "mpiexec", "orterun", "prterun", "orted", "prted", "shardrun", "hydra_pmi_proxy"}


def mpi_running():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() in MPI_NAMES:
                    return True
        except OSError:
            pass
    return False


def cpu_seconds(pid):
    """utime + stime of a running process (its /proc stat), 0 if gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def run_paused(cmd, yield_to_mpi=True, cpu_limit_s=None):
    """Runs cmd (already under nice), stopped with SIGSTOP while any MPI
    program or shardrun runs. Returns (returncode, stdout, stderr, seconds
    paused, CPU seconds, whether it was killed for exceeding cpu_limit_s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped, paused_s, quiet_since, cpu, over = False, 0.0, None, 0.0, False
    try:
        while (yield_to_mpi or cpu_limit_s) and proc.poll() is None:
            cpu = max(cpu, cpu_seconds(proc.pid))
            if cpu_limit_s and cpu > cpu_limit_s:
                over = True
                break
            if yield_to_mpi and mpi_running():
                quiet_since = None
                if not stopped:
                    os.kill(proc.pid, signal.SIGSTOP)
                    stopped, stop_t = True, time.time()
            elif stopped:
                quiet_since = quiet_since or time.time()
                if time.time() - quiet_since > 1.0:  # quiet for a second: go on
                    os.kill(proc.pid, signal.SIGCONT)
                    stopped = False
                    paused_s += time.time() - stop_t
            time.sleep(0.02)
        if over:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = max(cpu, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return proc.returncode, out, err, paused_s, cpu, over


def run(binary, workdir, c, yield_to_mpi=True, cpu_limit_s=None):
    path = os.path.join(workdir, key(c) + ".csv")
    if os.path.exists(path):
        with open(path) as f:
            return next(csv.DictReader(f))
    if os.path.exists(path + ".skipped"):
        return None
    cmd = command(binary, workdir, c)
    t = time.time()
    print(f"scale: {' '.join(cmd[3:])}", file=sys.stderr, flush=True)
    returncode, out, err, paused_s, cpu, over = run_paused(cmd, yield_to_mpi, cpu_limit_s)
    if over:
        with open(path + ".skipped", "w") as fh:
            fh.write(f"killed after {cpu:.0f} s of simulator CPU (limit {cpu_limit_s:g} s)\n")
        print(f"scale:   skipped: more than {cpu_limit_s:g} s of CPU", file=sys.stderr, flush=True)
        return None
    if returncode != 0:
        sys.exit(f"scale: failed ({returncode}): {' '.join(cmd)}\n{err}")
    with open(path + ".tmp", "w") as f:
        f.write(out)
    os.replace(path + ".tmp", path)
    with open(path + ".cpu", "w") as f:
        f.write(f"{cpu:.1f}\n")
    print(f"scale:   {time.time() - t:.0f} s ({paused_s:.0f} s paused while MPI ran, {cpu:.0f} s CPU)",
          file=sys.stderr, flush=True)
    return next(csv.DictReader(out.splitlines()))


def f(row, k):
    return float(row[k])


def si(x):
    for unit, scale in [("G", 1e9), ("M", 1e6), ("k", 1e3)]:
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1,000 and 10,000 ranks only")
    ap.add_argument("--only-ranks", help="comma-separated rank counts")
    ap.add_argument("--workdir", default="/tmp/stealsim-scale")
    ap.add_argument("--no-yield", action="store_true", help="do not pause while MPI programs run")
    ap.add_argument("--study", choices=["scale", "now"], default="scale")
    ap.add_argument("--reuse-from", help="now: an earlier study's workdir to take the old code's runs from")
    ap.add_argument("--reuse-ranks", default="", help="now: rank counts whose old-code runs are reused")
    ap.add_argument("--cpu-limit-s", type=float, help="skip a run that needs more simulator CPU")
    ap.add_argument("--only-costs", help="now: comma-separated costs to run (default all)")
    ap.add_argument("--write-only", action="store_true",
                    help="now: run nothing, write now.{md,csv} from the runs cached in --workdir")
    a = ap.parse_args()
    if a.study == "now":
        return main_now(a)
    ranks = [1000, 10000] if a.quick else [1000, 10000, 100000]
    if a.only_ranks:
        ranks = [int(x) for x in a.only_ranks.split(",")]
    os.makedirs(a.workdir, exist_ok=True)
    binary = simulator(a.workdir)
    started = time.time()
    rows = []
    for c in configs(ranks):
        row = run(binary, a.workdir, c, not a.no_yield)
        row.update({"group": c["group"], "plan": c["plan"], "variant": c.get("variant", c["protocol"]),
                    "command": " ".join(command("stealsim", "DIR", c)[3:])})
        rows.append(row)
    write(rows, ranks, time.time() - started)


def write(rows, ranks, seconds):
    os.makedirs(OUT, exist_ok=True)
    columns = ["group", "plan", "variant"] + [k for k in rows[0] if k not in ("group", "plan", "variant")]
    with open(os.path.join(OUT, "scale.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)

    def find(group, plan, cost, net, p, proto, variant=None):
        for r in rows:
            if (r["group"] == group and r["plan"] == plan and r["cost"] == cost and r["net"] == net and
                    int(r["ranks"]) == p and r["protocol"] == proto and (variant is None or r["variant"] == variant)):
                return r
        return None

    L = ["# Steal protocol at scale: simulated (`bench/stealsim`)", "",
         f"`/usr/bin/python3 bench/stealsim/scale.py` ({seconds:.0f} s here, cached runs excluded); "
         f"{', '.join(f'{p:,}' for p in ranks)} ranks x 1 thread, {RANKS_PER_NODE} ranks per node, "
         "seed 1. **Simulated, not measured**: see README.md for the model and its limits. "
         "`current` = the code as it is; `bounded` = `protocol.patch` (ceil(log2 P) random probes "
         "instead of the sweep, a back-off on the steal attempts of ranks with shards in flight, a stop tree "
         "instead of polling rank 0).", "",
         "- **synthetic** plan: `--items 20000*P --mean-us 50`, default shards (4,096 whatever P).",
         "- **dataset** plan: 16 shards of 4 MiB per rank (4,096 rows of 1 KiB, 10 µs a row: 41 ms a shard).",
         "- **fabric**: assumed 2 µs remote / 0.3 µs intra-node atomics, 0.3 µs service per op at a target, "
         "no target progress needed. **tcp**: measured osc/pt2pt figures (22.5 µs, 26 µs CAS; an op waits "
         "until the target's main thread enters MPI: every 200 µs while busy, after its back-off sleep while idle).",
         "- efficiency = shardrun's: max(work / Σ speeds, longest shard) / makespan. It ignores ranks that ran "
         "no shard (their speed is 0), so utilization = work / (P x makespan) is shown too.",
         "- ops/rank: remote one-sided operations per rank over the run (mean, max); per idle call: their mean "
         "divided by the mean number of idle next() calls.",
         "- rank 0: every operation on rank 0's windows (steal words, kDone, the polls, and execution.cpp's "
         "progress/stop counters every 200 ms: `tick`); mean rate over the run, peak rate in a 10 ms window, "
         "peak queue (operations waiting or in service), mean wait.",
         ""]
    for plan in ["synthetic", "dataset"]:
        L += [f"## {plan} plan", "",
              "| cost | net | ranks | shards | longest shard / ideal | efficiency cur → bnd | utilization "
              "cur → bnd | steals/rank mean (max) cur → bnd | ops/rank mean cur → bnd | ops per idle call "
              "cur → bnd | end − last shard s cur → bnd |",
              "|---|---|---:|---:|---:|---|---|---|---|---|---|"]
        for cost in ["pareto:1.5", "sorted-desc"]:
            for net in ["fabric", "tcp"]:
                for p in ranks:
                    c, b = find("main", plan, cost, net, p, "current"), find("main", plan, cost, net, p, "bounded")
                    if not c or not b:
                        continue
                    per = lambda r: f(r, "remote_ops_mean") / max(1.0, f(r, "idle_calls_mean"))
                    L.append(
                        f"| {cost} | {net} | {p:,} | {int(c['shards']):,} | "
                        f"{f(c, 'longest_shard_s') / f(c, 'ideal_s'):.2f} | "
                        f"{f(c, 'efficiency'):.3f} → {f(b, 'efficiency'):.3f} | "
                        f"{f(c, 'utilization'):.3f} → {f(b, 'utilization'):.3f} | "
                        f"{f(c, 'steals_mean'):.2f} ({c['steals_max']}) → {f(b, 'steals_mean'):.2f} ({b['steals_max']}) | "
                        f"{si(f(c, 'remote_ops_mean'))} → {si(f(b, 'remote_ops_mean'))} | "
                        f"{si(per(c))} → {si(per(b))} | "
                        f"{f(c, 'termination_delay_s'):.3f} → {f(b, 'termination_delay_s'):.3f} |")
        L += ["", f"Rank 0, {plan} plan. Protocol: the steal protocol's own operations on rank 0 (steals, "
              "kDone, polls, stop flags); all: with execution.cpp's ticks (unchanged by the patch).", "",
              "| cost | net | ranks | protocol ops cur → bnd | protocol ops/s mean cur → bnd | protocol peak "
              "ops/s (10 ms) cur → bnd | protocol ops' mean wait µs cur → bnd | all ops: peak ops/s (10 ms) "
              "cur → bnd | all ops: peak queue cur → bnd | busy fraction cur → bnd |",
              "|---|---|---:|---|---|---|---|---|---|---|"]
        for cost in ["pareto:1.5", "sorted-desc"]:
            for net in ["fabric", "tcp"]:
                for p in ranks:
                    c, b = find("main", plan, cost, net, p, "current"), find("main", plan, cost, net, p, "bounded")
                    if not c or not b:
                        continue
                    L.append(
                        f"| {cost} | {net} | {p:,} | {si(f(c, 'rank0_ops_protocol'))} → {si(f(b, 'rank0_ops_protocol'))} | "
                        f"{si(f(c, 'rank0_protocol_ops_per_s'))} → {si(f(b, 'rank0_protocol_ops_per_s'))} | "
                        f"{si(f(c, 'rank0_protocol_peak_ops_per_s_10ms'))} → {si(f(b, 'rank0_protocol_peak_ops_per_s_10ms'))} | "
                        f"{f(c, 'rank0_protocol_wait_mean_us'):.1f} → {f(b, 'rank0_protocol_wait_mean_us'):.1f} | "
                        f"{si(f(c, 'rank0_peak_ops_per_s_10ms'))} → {si(f(b, 'rank0_peak_ops_per_s_10ms'))} | "
                        f"{si(f(c, 'rank0_peak_queue'))} → {si(f(b, 'rank0_peak_queue'))} | "
                        f"{f(c, 'rank0_utilization'):.3f} → {f(b, 'rank0_utilization'):.3f} |")
        L.append("")
    # growth of the per-idle-call traffic with P
    L += ["## Traffic growth with P (dataset plan, pareto:1.5)", "",
          "| net | protocol | " + " | ".join(f"ops per idle call at {p:,}" for p in ranks) + " | log2 P |",
          "|---|---|" + "---:|" * len(ranks) + "---|"]
    for net in ["fabric", "tcp"]:
        for proto in ["current", "bounded"]:
            vals = []
            for p in ranks:
                r = find("main", "dataset", "pareto:1.5", net, p, proto)
                vals.append(si(f(r, "remote_ops_mean") / max(1.0, f(r, "idle_calls_mean"))) if r else "—")
            L.append(f"| {net} | {proto} | " + " | ".join(vals) + " | " +
                     ", ".join(f"{math.log2(p):.1f}" for p in ranks) + " |")
    L += ["", "## A lighter tail: pareto:3, dataset plan", "",
          "| net | ranks | longest shard / ideal | efficiency cur → bnd | utilization cur → bnd | steals/rank mean "
          "(max) cur → bnd | ops/rank mean cur → bnd | rank-0 peak queue cur → bnd |",
          "|---|---:|---:|---|---|---|---|---|"]
    for net in ["fabric", "tcp"]:
        for p in ranks:
            c, b = find("light", "dataset", "pareto:3", net, p, "current"), find("light", "dataset", "pareto:3", net, p, "bounded")
            if not c or not b:
                continue
            L.append(f"| {net} | {p:,} | {f(c, 'longest_shard_s') / f(c, 'ideal_s'):.2f} | "
                     f"{f(c, 'efficiency'):.3f} → {f(b, 'efficiency'):.3f} | "
                     f"{f(c, 'utilization'):.3f} → {f(b, 'utilization'):.3f} | "
                     f"{f(c, 'steals_mean'):.2f} ({c['steals_max']}) → {f(b, 'steals_mean'):.2f} ({b['steals_max']}) | "
                     f"{si(f(c, 'remote_ops_mean'))} → {si(f(b, 'remote_ops_mean'))} | "
                     f"{si(f(c, 'rank0_peak_queue'))} → {si(f(b, 'rank0_peak_queue'))} |")
    L += ["", "## Beyond the protocol (dataset plan, fabric, bounded)", "",
          "| cost | ranks | variant | efficiency | utilization | steals/rank mean (max) | ops/rank mean |",
          "|---|---:|---|---:|---:|---|---:|"]
    for cost in ["sorted-desc", "pareto:1.5"]:
        for p in ranks:
            base = find("main", "dataset", cost, "fabric", p, "bounded")
            others = [r for r in rows if r["group"] == "beyond" and r["cost"] == cost and int(r["ranks"]) == p]
            for r in ([base] if base else []) + others:
                name = "bounded (executor as is)" if r is base else r["variant"]
                L.append(f"| {cost} | {p:,} | {name} | {f(r, 'efficiency'):.3f} | {f(r, 'utilization'):.3f} | "
                         f"{f(r, 'steals_mean'):.2f} ({r['steals_max']}) | {si(f(r, 'remote_ops_mean'))} |")
    L += ["", "## execution.cpp's ticks (dataset plan, bounded; outside the patch)", "",
          "| cost | net | ranks | ticks | efficiency | rank-0 busy fraction | rank-0 peak queue | protocol ops' "
          "mean wait µs | end − last shard s |", "|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for cost, net in [("sorted-desc", "tcp"), ("pareto:1.5", "tcp"), ("sorted-desc", "fabric")]:
        base = find("main", "dataset", cost, net, max(ranks), "bounded")
        others = [r for r in rows if r["group"] == "ticks" and r["cost"] == cost and r["net"] == net]
        for r in ([base] if base else []) + others:
            name = "every 200 ms (the code)" if r is base else r["variant"]
            L.append(f"| {cost} | {net} | {int(r['ranks']):,} | {name} | {f(r, 'efficiency'):.3f} | "
                     f"{f(r, 'rank0_utilization'):.3f} | {si(f(r, 'rank0_peak_queue'))} | "
                     f"{f(r, 'rank0_protocol_wait_mean_us'):.1f} | {f(r, 'termination_delay_s'):.3f} |")
    L += ["", "## Other seeds and start skew (dataset plan, pareto:1.5, fabric)", "",
          "| ranks | variant | protocol | longest shard s | ideal s | efficiency | rank-0 peak queue (all) | "
          "rank-0 mean wait µs (all) | protocol ops' mean wait µs |", "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["group"] in ("seeds", "skew") or (r["group"] == "main" and r["plan"] == "dataset" and
                                               r["cost"] == "pareto:1.5" and r["net"] == "fabric"):
            name = r["variant"] if r["group"] != "main" else "seed 1"
            L.append(f"| {int(r['ranks']):,} | {name} | {r['protocol']} | {f(r, 'longest_shard_s'):.3f} | "
                     f"{f(r, 'ideal_s'):.3f} | {f(r, 'efficiency'):.3f} | {si(f(r, 'rank0_peak_queue'))} | "
                     f"{f(r, 'rank0_wait_mean_us'):.1f} | {f(r, 'rank0_protocol_wait_mean_us'):.1f} |")
    L += ["", "Raw data: `scale.csv` (every column the simulator prints, and each run's command line)."]
    text = "\n".join(L) + "\n"
    with open(os.path.join(OUT, "scale.md"), "w") as fh:
        fh.write(text)
    print(text, end="")


# ---------------------------------------------------------------------------
# --study now: the code as it is now against the old code.

OLD = dict(protocol="current", extra=[], variant="old")  # the simulator's defaults
NOW = dict(protocol="bounded", extra=["--prefetch", "depth", "--ticks", "scaled"], variant="now")
NOW_CASES = [("synthetic", "pareto:1.5"), ("synthetic", "sorted-desc"), ("dataset", "pareto:1.5"),
             ("dataset", "pareto:3"), ("dataset", "sorted-desc")]


def configs_now(ranks):
    out = []
    for p in ranks:  # cheap ones first
        for plan, cost in NOW_CASES:
            for net in ["fabric", "tcp"]:
                for v in [OLD, NOW]:
                    out.append(dict(group="main", plan=plan, cost=cost, net=net, ranks=p, protocol=v["protocol"],
                                    extra=list(v["extra"]), variant=v["variant"]))
        if p <= 10_000:
            # what makes sorted-desc on the dataset plan worse now: the queue depth alone, and an
            # experiment (not the code): a steal restarts the depth at 2
            for net in ["fabric", "tcp"]:
                for variant, extra in [("now, prefetch always", ["--prefetch", "always", "--ticks", "scaled"]),
                                       ("now + depth reset on steal", NOW["extra"] + ["--depth-reset-on-steal", "1"])]:
                    out.append(dict(group="experiment", plan="dataset", cost="sorted-desc", net=net, ranks=p,
                                    protocol="bounded", extra=extra, variant=variant))
        if p == 10_000:
            for seed in [2, 3]:
                for net in ["fabric", "tcp"]:
                    for v in [OLD, NOW]:
                        out.append(dict(group="seeds", plan="dataset", cost="pareto:1.5", net=net, ranks=p,
                                        protocol=v["protocol"], extra=list(v["extra"]) + ["--seed", str(seed)],
                                        variant=v["variant"]))
    return out


IGNORED = {"sim_wall_s", "ticks"}  # differ between two runs of the same case, or new


def main_now(a):
    ranks = [1000, 10000] if a.quick else [1000, 10000, 100000]
    if a.only_ranks:
        ranks = [int(x) for x in a.only_ranks.split(",")]
    reuse_ranks = {int(x) for x in a.reuse_ranks.split(",") if x}
    os.makedirs(a.workdir, exist_ok=True)
    binary = simulator(a.workdir)
    started = time.time()
    rows = []
    for c in configs_now(ranks):
        if a.only_costs and c["cost"] not in a.only_costs.split(","):
            continue
        path = os.path.join(a.workdir, key(c) + ".csv")
        earlier = os.path.join(a.reuse_from, key(c) + ".csv") if a.reuse_from else None
        source = "run"
        if c["variant"] == "old" and c["ranks"] in reuse_ranks and earlier and os.path.exists(earlier):
            if not os.path.exists(path):
                with open(earlier) as src, open(path + ".tmp", "w") as dst:
                    dst.write(src.read())
                os.replace(path + ".tmp", path)
                with open(path + ".reused", "w") as fh:
                    fh.write(earlier + "\n")
            source = "reused"
        cmd = " ".join(command(binary, a.workdir, c))
        if a.write_only and not os.path.exists(path) and not os.path.exists(path + ".skipped"):
            rows.append({"group": c["group"], "plan": c["plan"], "variant": c["variant"], "cost": c["cost"],
                         "net": c["net"], "ranks": str(c["ranks"]), "protocol": c["protocol"],
                         "seed": (c["extra"][-1] if "--seed" in c["extra"] else "1"),
                         "source": "not run (not finished in the time given)", "command": cmd})
            continue
        row = run(binary, a.workdir, c, not a.no_yield, a.cpu_limit_s)
        if row is None:
            with open(path + ".skipped") as fh:
                rows.append({"group": c["group"], "plan": c["plan"], "variant": c["variant"], "cost": c["cost"],
                             "net": c["net"], "ranks": str(c["ranks"]), "protocol": c["protocol"],
                             "seed": (c["extra"][-1] if "--seed" in c["extra"] else "1"),
                             "source": "skipped: " + fh.read().strip(), "command": cmd})
            continue
        row.setdefault("ticks", "rank0")  # reused rows come from before --ticks
        check = ""
        if source == "run" and earlier and os.path.exists(earlier) and c["variant"] == "old":
            with open(earlier) as fh:
                before = next(csv.DictReader(fh))
            diff = [k for k in before if k not in IGNORED and before[k] != row.get(k)]
            check = "identical to the earlier run" if not diff else "differs: " + " ".join(diff)
        if source == "reused":
            source = f"reused from {earlier} (not run again)"
        cpu_path = path + ".cpu"
        cpu = open(cpu_path).read().strip() if os.path.exists(cpu_path) else ""
        row.update({"group": c["group"], "plan": c["plan"], "variant": c["variant"], "source": source,
                    "check_vs_earlier": check, "cpu_s": cpu, "command": cmd})
        rows.append(row)
    write_now(rows, ranks, None if a.write_only else time.time() - started)


def write_now(rows, ranks, seconds):
    os.makedirs(OUT, exist_ok=True)
    full = [r for r in rows if "efficiency" in r]
    columns = ["group", "plan", "variant", "source", "check_vs_earlier", "cpu_s"] + \
              [k for k in max(full, key=len) if k not in ("group", "plan", "variant", "source", "check_vs_earlier", "cpu_s",
                                                 "command")] + ["command"]
    with open(os.path.join(OUT, "now.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, restval="")
        w.writeheader()
        w.writerows(rows)

    def find(group, plan, cost, net, p, variant, seed="1"):
        for r in rows:
            if (r["group"] == group and r["plan"] == plan and r["cost"] == cost and r["net"] == net and
                    int(r["ranks"]) == p and r["variant"] == variant and r.get("seed", "1") == seed):
                return r
        return None

    def pair(o, n, fmt):
        def one(r):
            if r is None:
                return "—"
            if "efficiency" not in r:
                return "not run" if r["source"].startswith("not run") else "skipped"
            return fmt(r)
        return f"{one(o)} → {one(n)}"

    per_idle = lambda r: si(f(r, "remote_ops_mean") / max(1.0, f(r, "idle_calls_mean")))
    L = ["# The code as it is now against the old code: simulated (`bench/stealsim`)", "",
         f"`/usr/bin/python3 bench/stealsim/scale.py --study now` "
         + (f"({seconds:.0f} s here, cached runs excluded); " if seconds is not None else
            f"(written from the cached runs: {sum(float(r['cpu_s']) for r in full if r.get('cpu_s')):.0f} s of "
            "simulator CPU for the runs made for this page, `cpu_s` in now.csv); ") +
         f"{', '.join(f'{p:,}' for p in ranks)} ranks x 1 thread, {RANKS_PER_NODE} ranks per node. "
         "**Simulated, not measured**: README.md states the model and its limits.", "",
         "- **old** = the code before the current changes: `--protocol current --prefetch always --ticks rank0` "
         "(the simulator's defaults; sweep of all ranks when idle, termination by polling rank 0, 2 shards a "
         "thread in flight, every rank adds its counts and reads the stop counter on rank 0 every 200 ms tick).",
         "- **now** = the code in the working tree: `--protocol bounded --prefetch depth --ticks scaled` "
         "(protocol.patch applied; threads x clamp(ceil(1 ms / mean shard), 2, 256) shards in flight, refilled "
         "when half are through; counts to rank 0 every max(1, P/256) ticks, the stop flag read locally).",
         "- plans, costs and nets as in `scale.md`: **synthetic** `--items 20000*P --mean-us 50` with the default "
         "plan (4,096 shards whatever P); **dataset** 16 shards of 4,096 rows, 10 µs a row per rank. **fabric** "
         "is assumed (2 µs RDMA atomics), **tcp** is osc/pt2pt as measured on two emulated hosts.",
         "- efficiency = shardrun's (max(work / Σ speeds, longest shard) / makespan, ranks that ran nothing "
         "ignored); utilization = work / (P x makespan); ops = remote one-sided operations per rank (mean); "
         "per idle call = that mean / mean idle next() calls; rank 0: all operations on rank 0's windows "
         "(steal word, kDone, polls, flags and execution.cpp's counters), mean rate over the run and peak in "
         "a 10 ms window, and the peak queue (operations waiting or in service).",
         "- Old-code rows at " + (", ".join(f"{p:,}" for p in sorted({int(r['ranks']) for r in full if
                                                                    r['source'].startswith('reused')})) or "no")
         + " ranks were taken from the earlier scale study's runs (same simulator defaults, not run again; "
         "`source` column of now.csv); every other old-code row was run again and compared field by field with "
         "the earlier run (`check_vs_earlier`).", ""]
    for plan in ["synthetic", "dataset"]:
        L += [f"## {plan} plan", "",
              "| cost | net | ranks | efficiency old → now | utilization old → now | steals/rank mean (max) "
              "old → now | ops/rank old → now | ops per idle call old → now | rank-0 ops/s mean old → now | "
              "rank-0 peak ops/s (10 ms) old → now | rank-0 peak queue old → now | end − last shard s old → now |",
              "|---|---|---:|---|---|---|---|---|---|---|---|---|"]
        for cost in [c for p_, c in NOW_CASES if p_ == plan]:
            for net in ["fabric", "tcp"]:
                for p in ranks:
                    o, n = find("main", plan, cost, net, p, "old"), find("main", plan, cost, net, p, "now")
                    if not o and not n:
                        continue
                    L.append(
                        f"| {cost} | {net} | {p:,} | "
                        f"{pair(o, n, lambda r: format(f(r, 'efficiency'), '.3f'))} | "
                        f"{pair(o, n, lambda r: format(f(r, 'utilization'), '.3f'))} | "
                        f"{pair(o, n, lambda r: format(f(r, 'steals_mean'), '.2f') + ' (' + r['steals_max'] + ')')} | "
                        f"{pair(o, n, lambda r: si(f(r, 'remote_ops_mean')))} | "
                        f"{pair(o, n, per_idle)} | "
                        f"{pair(o, n, lambda r: si(f(r, 'rank0_ops_per_s')))} | "
                        f"{pair(o, n, lambda r: si(f(r, 'rank0_peak_ops_per_s_10ms')))} | "
                        f"{pair(o, n, lambda r: si(f(r, 'rank0_peak_queue')))} | "
                        f"{pair(o, n, lambda r: format(f(r, 'termination_delay_s'), '.3f'))} |")
        L.append("")
    L += ["## Other seeds (dataset plan, pareto:1.5, 10,000 ranks)", "",
          "| seed | net | longest shard s | ideal s | efficiency old → now | utilization old → now | "
          "ops per idle call old → now | rank-0 peak ops/s (10 ms) old → now | rank-0 peak queue old → now |",
          "|---:|---|---:|---:|---|---|---|---|---|"]
    for seed in ["1", "2", "3"]:
        for net in ["fabric", "tcp"]:
            group = "main" if seed == "1" else "seeds"
            o, n = find(group, "dataset", "pareto:1.5", net, 10_000, "old", seed), \
                find(group, "dataset", "pareto:1.5", net, 10_000, "now", seed)
            if not o or not n or "efficiency" not in o or "efficiency" not in n:
                continue
            L.append(f"| {seed} | {net} | {f(n, 'longest_shard_s'):.3f} | {f(n, 'ideal_s'):.3f} | "
                     f"{pair(o, n, lambda r: format(f(r, 'efficiency'), '.3f'))} | "
                     f"{pair(o, n, lambda r: format(f(r, 'utilization'), '.3f'))} | "
                     f"{pair(o, n, per_idle)} | "
                     f"{pair(o, n, lambda r: si(f(r, 'rank0_peak_ops_per_s_10ms')))} | "
                     f"{pair(o, n, lambda r: si(f(r, 'rank0_peak_queue')))} |")
    L += ["", "## Sorted-desc on the dataset plan: what the queue depth does (experiment)", "",
          "`now, prefetch always`: the code now with 2 shards a thread in flight as before (the depth alone "
          "removed). `now + depth reset on steal`: **not the code**, an experiment (`--depth-reset-on-steal 1`): a "
          "successful steal forgets the rank's mean shard duration, so the depth is 2 again at once.", "",
          "| net | ranks | old | now | now, prefetch always | now + depth reset on steal | steals/rank max: now | "
          "makespan s: old, now |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for net in ["fabric", "tcp"]:
        for p in ranks:
            o, n = find("main", "dataset", "sorted-desc", net, p, "old"), find("main", "dataset", "sorted-desc", net, p, "now")
            a_, b_ = find("experiment", "dataset", "sorted-desc", net, p, "now, prefetch always"), \
                find("experiment", "dataset", "sorted-desc", net, p, "now + depth reset on steal")
            if not (o and n and a_ and b_) or any("efficiency" not in r for r in (o, n, a_, b_)):
                continue
            L.append(f"| {net} | {p:,} | {f(o, 'efficiency'):.3f} | {f(n, 'efficiency'):.3f} | "
                     f"{f(a_, 'efficiency'):.3f} | {f(b_, 'efficiency'):.3f} | {n['steals_max']} | "
                     f"{f(o, 'makespan_s'):.2f}, {f(n, 'makespan_s'):.2f} |")
    for what, test in [("Skipped (more than the CPU limit of simulator time)", lambda r: r["source"].startswith("skipped")),
                       ("Not run (not finished in the time given)", lambda r: r["source"].startswith("not run"))]:
        missing = [r for r in rows if "efficiency" not in r and test(r)]
        if missing:
            L += ["", f"{what}: " + "; ".join(
                f"{r['plan']} {r['cost']} {r['net']} {int(r['ranks']):,} {r['variant']}" for r in missing) + "."]
    checked = [r for r in full if r.get("check_vs_earlier")]
    same = [r for r in checked if r["check_vs_earlier"].startswith("identical")]
    L += ["", f"Old-code rows run again and compared with the earlier study's runs: {len(same)} of {len(checked)} "
          "identical in every field but the simulator's wall time.", "",
          "Raw data: `now.csv` (every column the simulator prints, the run's source, CPU seconds and exact command)."]
    text = "\n".join(L) + "\n"
    with open(os.path.join(OUT, "now.md"), "w") as fh:
        fh.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
