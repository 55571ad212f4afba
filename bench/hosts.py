#!/usr/bin/env python3
"""Stealing across TCP: `shardrun run synthetic` on one host against the same
run on two emulated hosts (tests/hosts/mpirun_hosts.sh: UTS namespaces behind
a stand-in for ssh, TCP over loopback, no fabric, so one-sided operations go
through osc/pt2pt), 2 ranks x 1 thread, `--bind-to none` in both. Reports
efficiency (makespan / lower bound from each run's /run record) per case and
the ratio two hosts / one host, medians over the repetitions; the cases are
the imbalance study's (100,000 items of 50 us mean) and skewed costs with
shards of 0.1 ms, 1 ms, 10 ms, 100 ms and 1 s. Also the one-sided operation
costs (bench/osc_latency) on one and on two hosts.

    /usr/bin/python3 bench/hosts.py [--reps R] [--quick]     (as root: unshare)
Writes bench/results/hosts.{csv,md} (bench/results/quick/ with --quick).
"""
import os
import statistics
import subprocess
import time

import h5py

import benchlib

ROOT = benchlib.ROOT
BUILD = os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"))
SHARDRUN = os.path.join(BUILD, "shardrun")
HOSTS = os.path.join(ROOT, "tests", "hosts", "mpirun_hosts.sh")

# name, items, mean item µs, cost, extra options
IMBALANCE = [(f"imbalance {c}", 100_000, 50, c, []) for c in
             ["uniform", "linear", "sorted-desc", "bimodal", "pareto:1.5"]] + \
            [("imbalance uniform, slow rank 1:2", 100_000, 50, "uniform", ["--slow-rank", "1:2"])]
SHARDS = [
    ("0.1 ms shards, sorted-desc", 20_000, 100, "sorted-desc", ["--shards", "20000"]),
    ("0.1 ms shards, pareto:1.5", 20_000, 100, "pareto:1.5", ["--shards", "20000"]),
    ("1 ms shards, sorted-desc", 4_000, 1_000, "sorted-desc", ["--shards", "4000"]),
    ("10 ms shards, sorted-desc", 400, 10_000, "sorted-desc", ["--shards", "400"]),
    ("10 ms shards, pareto:1.5", 400, 10_000, "pareto:1.5", ["--shards", "400"]),
    ("10 ms shards, slow rank 1:2", 400, 10_000, "uniform", ["--shards", "400", "--slow-rank", "1:2"]),
    ("100 ms shards, sorted-desc", 40, 100_000, "sorted-desc", ["--shards", "40"]),
    ("1 s shards, sorted-desc", 8, 1_000_000, "sorted-desc", ["--shards", "8"]),
]


def synthetic(where, case, out):
    name, items, mean, cost, extra = case
    args = [SHARDRUN, "run", "synthetic", "--items", str(items), "--mean-us", str(mean),
            "--cost", cost, "--threads", "1", "--quiet", "--output", out] + extra
    if where == "one host":
        command = ["mpirun", "-n", "2", "--bind-to", "none"] + args
    else:
        command = [HOSTS, "2", "1"] + args
    r = subprocess.run(command, capture_output=True, text=True, env=benchlib.ENV, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"hosts: {name} on {where} failed:\n{r.stderr}")
    with h5py.File(out, "r") as f:
        run = f["run"].attrs
        checksum = f["checksum"][()]
        return float(run["efficiency"]), float(run["makespan_s"]), str(run["one_sided"]), checksum


def latency(where):
    tool = os.path.join(BUILD, "bench", "osc_latency")
    command = (["mpirun", "-n", "2", "--bind-to", "none", tool] if where == "one host"
               else [HOSTS, "2", "1", tool])
    r = subprocess.run(command, capture_output=True, text=True, env=benchlib.ENV, timeout=300)
    if r.returncode != 0:
        raise SystemExit(f"hosts: osc_latency on {where} failed:\n{r.stderr}")
    rows = {}
    for line in r.stdout.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        *name, median, p90 = line.split()
        rows[" ".join(name)] = (float(median), float(p90))
    return rows


def main():
    args = benchlib.parse_args(__doc__)
    reps = args.reps or (1 if args.quick else 5)
    cases = IMBALANCE + SHARDS
    if args.quick:
        cases = [("1 ms shards, sorted-desc", 400, 1_000, "sorted-desc", ["--shards", "400"]),
                 ("10 ms shards, pareto:1.5", 40, 10_000, "pareto:1.5", ["--shards", "40"])]
    work = os.path.join(ROOT, "bench", "work", "quick" if args.quick else "", "hosts")
    os.makedirs(work, exist_ok=True)
    started = time.time()
    rows, eff = [], {}
    for rep in range(reps):  # interleaved: drift hits both sides alike
        for case in cases:
            for where in ["one host", "two hosts"]:
                e, makespan, one_sided, checksum = synthetic(where, case, os.path.join(work, "o.h5"))
                rows.append([case[0], where, rep, e, makespan, one_sided, checksum])
                eff.setdefault((case[0], where), []).append(e)
                sums = {r[6] for r in rows if r[0] == case[0]}
                if len(sums) != 1:
                    raise SystemExit(f"hosts: {case[0]}: checksums differ between runs: {sums}")
    lat = {where: latency(where) for where in ["one host", "two hosts"]}
    out = benchlib.results_dir(args.quick)
    benchlib.write_csv(os.path.join(out, "hosts.csv"),
                       ["case", "where", "rep", "efficiency", "makespan_s", "one_sided", "checksum"],
                       rows)

    def med(key):
        v = eff[key]
        return statistics.median(v), min(v), max(v)

    lines = ["# Stealing across hosts over TCP: one host against two emulated hosts", "",
             f"`{' '.join(['/usr/bin/python3', 'bench/hosts.py'] + (['--quick'] if args.quick else []) + (['--reps', str(args.reps)] if args.reps else []))}`"
             f" on {os.cpu_count()} cores ({benchlib.model()}), {reps} repetition(s), "
             f"{time.strftime('%Y-%m-%d')}, {int(time.time() - started)} s. 2 ranks x 1 thread, "
             "`--bind-to none`, balance steal (the default); two hosts: "
             "`tests/hosts/mpirun_hosts.sh 2 1` (one-sided over osc/pt2pt on TCP, loopback).",
             "", "Efficiency = lower bound / makespan from each run's `/run` record; median "
             "(min–max); target: two hosts ≥ 0.95 × one host.", "",
             "| case | one host | two hosts | two / one | target |", "|---|---:|---:|---:|:---:|"]
    for case in cases:
        one, two = med((case[0], "one host")), med((case[0], "two hosts"))
        ratio = two[0] / one[0]
        lines.append(f"| {case[0]} | {one[0]:.3f} ({one[1]:.3f}–{one[2]:.3f}) | "
                     f"{two[0]:.3f} ({two[1]:.3f}–{two[2]:.3f}) | {ratio:.3f} | "
                     f"{'PASS' if ratio >= 0.95 else 'FAIL'} |")
    lines += ["", "One-sided operation costs (`bench/osc_latency`, 2,000 operations each, median µs "
              "and 90th percentile; \"busy\": the target computes and enters MPI every 200 µs, "
              "shardrun's poll interval across hosts):", "",
              "| operation | one host (osc/sm) | two hosts (osc/pt2pt over tcp) |", "|---|---:|---:|"]
    for name, (m, p) in lat["one host"].items():
        m2, p2 = lat["two hosts"].get(name, (float("nan"), float("nan")))
        lines.append(f"| {name} | {m:.2f} ({p:.2f}) | {m2:.2f} ({p2:.2f}) |")
    benchlib.write_report(os.path.join(out, "hosts.md"), lines)
    print(f"hosts: wrote {out}/hosts.csv and hosts.md")


if __name__ == "__main__":
    main()
