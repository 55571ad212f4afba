#!/usr/bin/python3
"""Strong scaling: a fixed CPU-bound job on 1..cores workers, and beyond.

  bench/scaling.py            # synthetic job of 10 s of CPU, 5 reps
  bench/scaling.py --quick    # CI smoke: 0.5 s of CPU, 1 rep, results in bench/results/quick/

The job: `shardrun run synthetic --items N --mean-us 50` (uniform cost). The
configurations (ranks x threads) run in turn in each repetition: 1x1, then
every split of 2..cores workers, then twice the cores as ranks and as threads
(oversubscribed: labelled so; on them the speedup cannot exceed the cores).
Ranks are not bound to cores (`mpirun --bind-to none`): by default mpirun binds
each of up to 2 ranks to one core, which would keep a rank's threads on it.
Speedup = makespan(1x1) / makespan; efficiency = speedup / min(workers, cores).
Writes bench/results/scaling.{csv,md}.
"""
import datetime
import os
import statistics
import subprocess
import sys
import time

import h5py

import benchlib
from benchlib import ENV, ROOT, model





def main():
    args = benchlib.parse_args(__doc__)
    shardrun = os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"), "shardrun")
    cores = os.cpu_count()
    items = 10_000 if args.quick else 200_000
    reps = args.reps or (1 if args.quick else 5)
    results = benchlib.results_dir(args.quick)
    out = os.path.join(ROOT, "bench", "work", "scaling.h5")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    configs = [(1, 1)]
    for workers in range(2, cores + 1):
        configs += [(r, workers // r) for r in range(1, workers + 1) if workers % r == 0]
    configs += [(2 * cores, 1), (1, 2 * cores)]

    rows, makespans = [], {}
    checksum = None
    for rep in range(reps):
        for ranks, threads in configs:
            # --bind-to none: mpirun would bind a lone rank to one core, and its threads with it.
            cmd = ["mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none", shardrun, "run", "synthetic",
                   "--items", str(items), "--mean-us", "50", "--threads", str(threads),
                   "--output", out, "--quiet"]
            started = time.monotonic()
            r = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
            wall = time.monotonic() - started
            if r.returncode != 0:
                sys.exit(f"scaling bench: {ranks}x{threads} failed:\n{r.stderr}")
            with h5py.File(out, "r") as f:
                makespan = float(f["run"].attrs["makespan_s"])
                value = int(f["checksum"][()])
            if checksum not in (None, value):
                sys.exit("scaling bench: the checksum changed between configurations")
            checksum = value
            makespans.setdefault((ranks, threads), []).append(makespan)
            over = ranks * threads > cores
            rows.append(["scaling", f"{ranks}x{threads}" + (" oversubscribed" if over else ""),
                         "shardrun", ranks, threads, rep, f"{makespan:.4f}",
                         f"{items / makespan:.1f}", f"{wall:.4f}"])
            print(f"rep {rep} {ranks}x{threads}: makespan {makespan:.3f} s, wall {wall:.3f} s", flush=True)

    benchlib.write_csv(os.path.join(results, "scaling.csv"), ["study", "case", "tool", "ranks", "threads", "rep", "seconds", "throughput", "wall_s"], rows)
    med = {k: statistics.median(v) for k, v in makespans.items()}
    base = med[(1, 1)]
    lines = [
        "# Strong scaling: `shardrun run synthetic`", "",
        f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M:%S} UTC; machine: {cores} cores, {model()}",
        f"- Command: `bench/scaling.py{' ' if len(sys.argv) > 1 else ''}{' '.join(sys.argv[1:])}`",
        f"- Job: {items:,} items of 50 µs ({items * 50e-6:.1f} s of CPU), balance steal; {reps} repetition(s); "
        "makespan medians (min–max); the same checksum in every run.",
        "", "| ranks x threads | makespan s | speedup | efficiency |", "|---|---:|---:|---:|"]
    for ranks, threads in configs:
        v = makespans[(ranks, threads)]
        speedup = base / med[(ranks, threads)]
        workers = ranks * threads
        label = f"{ranks} x {threads}" + (" (oversubscribed)" if workers > cores else "")
        lines.append(f"| {label} | {med[(ranks, threads)]:.3f} ({min(v):.3f}–{max(v):.3f}) | "
                     f"{speedup:.2f} | {speedup / min(workers, cores):.3f} |")
    benchlib.write_report(os.path.join(results, "scaling.md"), lines)


if __name__ == "__main__":
    main()
