#!/usr/bin/env python3
"""Validation of bench/stealsim/stealsim against the real shardrun.

For P in 2, 3, 4, 8, 16 ranks x 1 thread on this machine and the costs
pareto:1.5 and sorted-desc, runs `build/shardrun run synthetic` under
`mpirun -n P --oversubscribe --bind-to none`, reads the /run record of its
output (makespan_s, lower_bound_s, efficiency, rank_steals,
rank_stolen_shards, rank_busy_s, rank_speed), runs the simulator with the same
plan, costs and seed, and writes the comparison with relative errors to
bench/results/stealsim/validation.{md,csv}.

Oversubscription. With more ranks than cores, ranks share the cores, so each
rank runs at about cores / ranks of a core while all are busy. The simulator
models that with `--cores C --quantum-us Q`: the worker threads of all ranks
share C cores round-robin in time slices of Q us, and a rank whose worker
is idle (back-off, stealing) gives its share to the others. Every figure is
then computed in both exactly as shardrun computes it: a shard's busy time is
its wall time (time slices it waited for included), rank speed = work /
busy, lower bound = max(work / sum of speeds, longest shard). That /run
efficiency depends on whether a shard runs inside one time slice (then every
rank looks as fast as a whole core, and the bound assumes P cores), so it is
compared as such, and the script also compares what does not depend on the
scheduler's slices: the makespan and the "cores efficiency" nominal work /
(cores x makespan) (the imbalance study's 2-core ratio, inverted). Rows
with P > cores are labelled "oversubscribed".

    /usr/bin/python3 bench/stealsim/validate.py [--reps R] [--dry-run] [--sim-only]
        [--items N] [--mean-us X] [--shards S] [--ranks 2,3,4,8,16]
        [--costs pareto:1.5,sorted-desc] [--quantum-us Q] [--hosts] [--model now|old]

  --dry-run   print the commands (real runs and simulator), run nothing
  --sim-only  run only the simulator and print its table (writes no results)
  --hosts     also 2 ranks on two emulated hosts (tests/hosts/mpirun_hosts.sh,
              osc/pt2pt over TCP; needs root for unshare), simulated with --net tcp
  --model     the code the simulator models: now (default; --protocol bounded
              --prefetch depth --ticks scaled: protocol.patch applied, the
              adaptive queue depth, scaled ticks) or old (the simulator's
              defaults: the code before those changes)
Environment: BUILD_DIR (default build) holds shardrun. Run outputs go to
--workdir (default /tmp/stealsim-validate); the simulator is compiled there
with g++ -O2 if missing or older than its source.
"""
import argparse
import csv
import os
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"))
SHARDRUN = os.path.join(BUILD, "shardrun")
HOSTS = os.path.join(ROOT, "tests", "hosts", "mpirun_hosts.sh")
RESULTS = os.path.join(ROOT, "bench", "results", "stealsim")
SOURCE = os.path.join(HERE, "stealsim.cpp")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           PMIX_MCA_psec="^munge")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--sim-only", action="store_true")
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--mean-us", type=float, default=50)
    ap.add_argument("--shards", type=int, default=0, help="0: the synthetic job's default plan")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ranks", default="2,3,4,8,16")
    ap.add_argument("--costs", default="pareto:1.5,sorted-desc")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--quantum-us", type=float, default=1500)
    ap.add_argument("--hosts", action="store_true")
    ap.add_argument("--workdir", default="/tmp/stealsim-validate")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--model", choices=["now", "old"], default="now")
    return ap.parse_args()


def simulator(workdir, dry):
    binary = os.path.join(workdir, "stealsim")
    cmd = ["g++", "-std=c++20", "-O2", "-o", binary, SOURCE]
    if dry:
        print(shlex.join(cmd))
        return binary
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(SOURCE):
        os.makedirs(workdir, exist_ok=True)
        subprocess.run(cmd, check=True)
    return binary


def cases(a):
    out = []
    for cost in a.costs.split(","):
        for p in [int(x) for x in a.ranks.split(",")]:
            out.append({"where": "one host", "ranks": p, "cost": cost})
    if a.hosts:
        for cost in a.costs.split(","):
            out.append({"where": "two hosts (tcp)", "ranks": 2, "cost": cost})
    return out


def label(case, cores):
    p = case["ranks"]
    if case["where"] != "one host":
        return f"{p} ranks on two emulated hosts (osc/pt2pt over tcp)"
    if p > cores:
        return f"{p} ranks on {cores} cores (oversubscribed, {p / cores:g} per core)"
    return f"{p} ranks on {cores} cores"


def job_args(a, cost):
    args = ["--items", str(a.items), "--cost", cost, "--mean-us", f"{a.mean_us:g}", "--seed", str(a.seed)]
    if a.shards:
        args += ["--shards", str(a.shards)]
    return args


def real_command(a, case, out):
    args = [SHARDRUN, "run", "synthetic"] + job_args(a, case["cost"]) + \
           ["--threads", "1", "--quiet", "--output", out]
    if case["where"] == "one host":
        return ["mpirun", "-n", str(case["ranks"]), "--oversubscribe", "--bind-to", "none"] + args
    return [HOSTS, "2", "1"] + args


# The simulator's options for each version of the code.
MODELS = {"now": ["--protocol", "bounded", "--prefetch", "depth", "--ticks", "scaled"], "old": []}


def sim_command(a, binary, case):
    cmd = [binary, "--ranks", str(case["ranks"]), "--threads", "1"] + job_args(a, case["cost"]) + \
          ["--format", "csv", "--header"] + MODELS[a.model]
    if case["where"] == "one host":
        cmd += ["--net", "sm"]
        if case["ranks"] > a.cores:
            cmd += ["--cores", str(a.cores), "--quantum-us", f"{a.quantum_us:g}"]
    else:
        cmd += ["--net", "tcp", "--ranks-per-node", "1"]
    return cmd


def read_run(path):
    import h5py  # /usr/bin/python3 has it; only needed for real runs
    with h5py.File(path, "r") as f:
        run = f["run"]
        at = run.attrs
        busy = list(run["rank_busy_s"][()])
        speed = list(run["rank_speed"][()])
        threads = int(at["threads"])
        # nominal work: Σ speed_i · busy_i / threads (work_i = speed_i · busy_i / threads)
        work_s = sum(s * b / threads for s, b in zip(speed, busy)) / 1e6  # synthetic's work is µs
        return {
            "makespan_s": float(at["makespan_s"]),
            "lower_bound_s": float(at["lower_bound_s"]),
            "efficiency": float(at["efficiency"]),
            "shards": int(at["shards"]),
            "one_sided": str(at["one_sided"]) if "one_sided" in at else "",
            "steals": int(sum(run["rank_steals"][()])),
            "stolen": int(sum(run["rank_stolen_shards"][()])),
            "work_s": work_s,
        }


def machine_load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    a = parse_args()
    if not a.dry_run and not a.sim_only and not os.access(SHARDRUN, os.X_OK):
        sys.exit(f"validate: {SHARDRUN} not found (BUILD_DIR)")
    binary = simulator(a.workdir, a.dry_run)
    rows = []
    load_before = machine_load()
    started = time.time()
    for case in cases(a):
        # the simulator: deterministic, one run
        scmd = sim_command(a, binary, case)
        if a.dry_run:
            print(shlex.join(scmd))
        else:
            r = subprocess.run(scmd, capture_output=True, text=True, check=True)
            header, values = r.stdout.strip().splitlines()[:2]
            sim = dict(zip(header.split(","), values.split(",")))
        real = []
        for rep in range(1, a.reps + 1):
            out = os.path.join(a.workdir, f"{case['where'].split()[0]}.{case['cost'].replace(':', '')}."
                                          f"n{case['ranks']}.r{rep}.h5")
            rcmd = real_command(a, case, out)
            if a.dry_run or a.sim_only:
                if a.dry_run:
                    print(shlex.join(rcmd))
                continue
            if os.path.exists(out):
                os.remove(out)
            p = subprocess.run(rcmd, capture_output=True, text=True, env=ENV, timeout=a.timeout)
            if p.returncode != 0:
                sys.exit(f"validate: {shlex.join(rcmd)} failed ({p.returncode}):\n{p.stderr}")
            real.append(read_run(out))
        if a.dry_run:
            continue
        s_make = float(sim["makespan_s"])
        s_eff = float(sim["efficiency"])
        # cores in use: min(P, cores) on one host; the two emulated hosts share this machine
        s_slots = min(case["ranks"], a.cores)
        s_cores_eff = float(sim["utilization"])  # nominal work / (slots x makespan), same slots
        s_steals = float(sim["steals_mean"]) * case["ranks"]
        s_stolen = float(sim["stolen_shards_mean"]) * case["ranks"]
        row = {"case": label(case, a.cores), "where": case["where"], "ranks": case["ranks"],
               "cost": case["cost"], "shards": sim["shards"],
               "sim_makespan_s": s_make, "sim_efficiency": s_eff, "sim_cores_efficiency": s_cores_eff,
               "sim_steals": s_steals, "sim_stolen": s_stolen}
        if real:
            med = lambda k: statistics.median(x[k] for x in real)
            span = lambda k: (min(x[k] for x in real), max(x[k] for x in real))
            r_make, r_eff = med("makespan_s"), med("efficiency")
            r_cores_eff = statistics.median(x["work_s"] / (s_slots * x["makespan_s"]) for x in real)
            rel = lambda s, r: (s - r) / r if r else float("nan")
            row.update({
                "real_makespan_s": r_make, "real_makespan_min": span("makespan_s")[0],
                "real_makespan_max": span("makespan_s")[1],
                "real_efficiency": r_eff, "real_efficiency_min": span("efficiency")[0],
                "real_efficiency_max": span("efficiency")[1],
                "real_cores_efficiency": r_cores_eff,
                "real_steals": med("steals"), "real_stolen": med("stolen"),
                "real_one_sided": real[0]["one_sided"], "reps": len(real),
                "err_makespan": rel(s_make, r_make), "err_efficiency": rel(s_eff, r_eff),
                "err_cores_efficiency": rel(s_cores_eff, r_cores_eff),
            })
        rows.append(row)
    if a.dry_run:
        return
    if a.sim_only:
        print("case,cost,shards,sim_makespan_s,sim_efficiency,sim_cores_efficiency,sim_steals,sim_stolen")
        for r in rows:
            print(f"{r['case']},{r['cost']},{r['shards']},{r['sim_makespan_s']:.4f},{r['sim_efficiency']:.4f},"
                  f"{r['sim_cores_efficiency']:.4f},{r['sim_steals']:.0f},{r['sim_stolen']:.0f}")
        return
    write_results(a, rows, load_before, machine_load(), time.time() - started)


def write_results(a, rows, load_before, load_after, seconds):
    os.makedirs(RESULTS, exist_ok=True)
    columns = list(rows[0].keys())
    for r in rows:
        for k in r:
            if k not in columns:
                columns.append(k)
    with open(os.path.join(RESULTS, "validation.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow(r)
    pct = lambda x: f"{100 * x:+.1f} %"
    lines = [
        "# stealsim against the real shardrun (one host)", "",
        f"`/usr/bin/python3 bench/stealsim/validate.py --reps {a.reps}` on {a.cores} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s; load average "
        f"{load_before} before, {load_after} after.",
        "",
        f"Job: `shardrun run synthetic --items {a.items} --mean-us {a.mean_us:g} --seed {a.seed}"
        f"{' --shards ' + str(a.shards) if a.shards else ''} --threads 1` under "
        "`mpirun -n P --oversubscribe --bind-to none`; real figures are medians over the "
        "repetitions (min–max), from each output's `/run` record. Simulator: the same plan, "
        f"costs and seed, `--net sm`, and with P > cores `--cores {a.cores} --quantum-us "
        f"{a.quantum_us:g}` (worker threads share the cores round-robin); model `{a.model}`"
        f" (`{' '.join(MODELS[a.model]) or 'the simulator defaults'}`).",
        "",
        "- makespan: first shard start to last shard end; scheduler-independent.",
        "- `/run` efficiency: lower bound / makespan, computed shardrun's way in both (rank "
        "speeds from wall time inside shards); on oversubscribed rows it depends on how shards "
        "fall into time slices, so expect it to agree less.",
        "- cores efficiency: nominal work / (min(P, cores) x makespan): how well the cores were "
        "used, independent of time slices.",
        "",
        "| case | cost | shards | makespan s real | sim | err | `/run` eff. real | sim | err | "
        "cores eff. real | sim | err | steals real (shards) | sim |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['cost']} | {r['shards']} | "
            f"{r['real_makespan_s']:.3f} ({r['real_makespan_min']:.3f}–{r['real_makespan_max']:.3f}) | "
            f"{r['sim_makespan_s']:.3f} | {pct(r['err_makespan'])} | "
            f"{r['real_efficiency']:.3f} ({r['real_efficiency_min']:.3f}–{r['real_efficiency_max']:.3f}) | "
            f"{r['sim_efficiency']:.3f} | {pct(r['err_efficiency'])} | "
            f"{r['real_cores_efficiency']:.3f} | {r['sim_cores_efficiency']:.3f} | "
            f"{pct(r['err_cores_efficiency'])} | {r['real_steals']:.0f} ({r['real_stolen']:.0f}) | "
            f"{r['sim_steals']:.0f} ({r['sim_stolen']:.0f}) |")
    errs = [abs(r["err_makespan"]) for r in rows]
    lines += ["", f"Largest makespan error: {100 * max(errs):.1f} %; median {100 * statistics.median(errs):.1f} %.",
              "", "Raw data: `validation.csv`."]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(RESULTS, "validation.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
