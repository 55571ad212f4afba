#!/usr/bin/python3
"""What recording the timeline costs in the scheduling-overhead case
(near-empty shards, 2 ranks x 1 thread), two ways:

- directly: build/bench/timeline_cost times rank 0's part (a row stored per
  shard; the rows and busy bins built at the end) in ns per shard, set
  against the CPU time a shard takes in NEW's run (2 cores x makespan /
  shards);
- A/B: two binaries run interleaved, OLD built without the timeline and NEW;
  the median makespan (from /run) and whole-command time of each, NEW/OLD
  with a bootstrap 95 % interval of the ratio of medians. Two builds also
  differ in code layout: --control BIN (NEW with the recording cut out)
  shows how much.

  bench/timeline_ab.py --old OLD --new build/shardrun [--control BIN] --reps 21
"""
import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time

import h5py

from benchlib import ENV, results_dir, write_csv, write_report

SHARDS = 400_000


def run(binary, out):
    cmd = ["mpirun", "-n", "2", binary, "run", "synthetic", "--items", str(SHARDS), "--mean-us", "0",
           "--shards", str(SHARDS), "--threads", "1", "--output", out, "-q"]
    if os.path.exists(out):
        os.unlink(out)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=ENV, check=True)
    wall = time.perf_counter() - t0
    with h5py.File(out, "r") as f:
        return float(f["/run"].attrs["makespan_s"]), wall


def ratio_interval(new, old, draws=2000):
    """Bootstrap 95 % interval of median(new) / median(old)."""
    rng = random.Random(1)
    ratios = sorted(
        statistics.median(rng.choices(new, k=len(new))) / statistics.median(rng.choices(old, k=len(old)))
        for _ in range(draws))
    return ratios[int(0.025 * draws)], ratios[int(0.975 * draws)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--control", help="NEW with the recording cut out (optional)")
    ap.add_argument("--reps", type=int, default=21)
    args = ap.parse_args()
    labels = ["old", "new"] + (["control"] if args.control else [])
    rows, times = [], {label: [] for label in labels}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for label in labels if rep % 2 == 0 else labels[::-1]:
                makespan, wall = run(getattr(args, label), os.path.join(tmp, label + ".h5"))
                times[label].append((makespan, wall))
                rows.append([label, rep, f"{makespan:.5f}", f"{wall:.4f}"])
    out = results_dir(False)
    write_csv(os.path.join(out, "timeline_overhead.csv"), ["binary", "rep", "makespan_s", "wall_s"], rows)
    cost = subprocess.run([os.path.join(os.path.dirname(args.new), "bench", "timeline_cost"), str(SHARDS)],
                          check=True, capture_output=True, text=True).stdout.split()
    add_ns, end_ns = float(cost[3]), float(cost[5])
    shard_cpu_ns = 2 * statistics.median(t[0] for t in times["new"]) / SHARDS * 1e9
    lines = ["# What the timeline costs: near-empty shards, without and with it", "",
             f"{SHARDS:,} shards of one item of cost 0 at 2 ranks x 1 thread (the scheduling-overhead "
             f"case of bench/imbalance.sh). Made by:", "", "```sh",
             "bench/timeline_ab.py --old OLD --new build/shardrun --control CONTROL --reps %d" % args.reps,
             "```", "",
             "## Directly", "",
             f"- rank 0 stores a shard's row in {add_ns:.2f} ns (`build/bench/timeline_cost {SHARDS}`); a "
             f"shard takes {shard_cpu_ns:.0f} ns of CPU in NEW's run (2 cores x makespan / shards): "
             f"recording is **{100 * add_ns / shard_cpu_ns:.2f} %** of it.",
             f"- after the last shard, the rows and busy bins take {end_ns:.2f} ns per shard "
             f"({end_ns * SHARDS / 1e6:.1f} ms here), then HDF5 writes them "
             f"({31 * SHARDS / 1e6:.1f} MB, 31 bytes a row): the whole command's difference below.", "",
             "## A/B", "",
             f"The binaries run interleaved (ABBA) {args.reps} times each. OLD: the commit before the "
             "timeline; NEW: this one"
             + ("; CONTROL: NEW with rank 0's `timeline_->add` calls cut out (rows empty)."
                if args.control else "."), "",
             "| binary | median makespan s | shards/s | median whole command s |",
             "| --- | ---: | ---: | ---: |"]
    for label in labels:
        m = statistics.median(t[0] for t in times[label])
        w = statistics.median(t[1] for t in times[label])
        lines.append(f"| {label} | {m:.4f} | {SHARDS / m:,.0f} | {w:.3f} |")
    lines.append("")
    for label in labels[1:]:
        for i, what in ((0, "makespan"), (1, "whole command")):
            new = [t[i] for t in times[label]]
            old = [t[i] for t in times["old"]]
            lo, hi = ratio_interval(new, old)
            lines.append(f"- {what}: {label} / old = {statistics.median(new) / statistics.median(old):.3f} "
                         f"(95 % interval {lo:.3f} .. {hi:.3f})")
    write_report(os.path.join(out, "timeline_overhead.md"), lines)


if __name__ == "__main__":
    main()
