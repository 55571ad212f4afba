#!/usr/bin/python3
"""What recording the timeline costs in the scheduling-overhead case
(near-empty shards, 2 ranks x 1 thread), two ways:

- directly: build/bench/timeline_cost times what a rank does per shard (a
  32-byte row stored in its log, against the 16 bytes a ledger without the
  timeline stores) and what rank 0 does once at the end (the rows into their
  slots, then the rows and busy bins written), in ns per shard, set against
  the CPU time a shard takes in NEW's run (2 cores x makespan / shards);
- A/B: NEW and CONTROL, NEW's source with the timeline cut out of the ledger
  (bench/timeline_control.patch), run interleaved (ABBA); the median makespan
  (from /run) and whole-command time of each, NEW/CONTROL with a bootstrap
  95 % interval of the ratio of medians. --old BIN (optional) adds an earlier
  build for comparison.

  git worktree add /tmp/ctl HEAD && git -C /tmp/ctl apply bench/timeline_control.patch
  (cd /tmp/ctl && scripts/build.sh)
  bench/timeline_ab.py --new build/shardrun --control /tmp/ctl/build/shardrun [--old BIN] --reps 31
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
    ap.add_argument("--new", required=True)
    ap.add_argument("--control", required=True, help="NEW with bench/timeline_control.patch applied")
    ap.add_argument("--old", help="an earlier build, for comparison (optional)")
    ap.add_argument("--old-label", default="an earlier build", help="what --old is")
    ap.add_argument("--reps", type=int, default=31)
    args = ap.parse_args()
    labels = ["new", "control"] + (["old"] if args.old else [])
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
    log_ns, plain_ns, end_ns = float(cost[3]), float(cost[5]), float(cost[7])
    shard_cpu_ns = 2 * statistics.median(t[0] for t in times["new"]) / SHARDS * 1e9
    cmd = "bench/timeline_ab.py --new build/shardrun --control CONTROL"
    if args.old:
        cmd += " --old OLD"
    lines = ["# What the timeline costs: near-empty shards, with it and without it", "",
             f"{SHARDS:,} shards of one item of cost 0 at 2 ranks x 1 thread (the scheduling-overhead "
             f"case of bench/imbalance.sh). CONTROL is NEW's source with the timeline cut out of the "
             f"ledger (`git apply bench/timeline_control.patch`): 16-byte rows (id, seconds), no log, "
             f"nothing gathered or written. Made by:", "", "```sh", f"{cmd} --reps {args.reps}", "```", "",
             "## Directly", "",
             f"- per shard, a rank stores a 32-byte row in its log in {log_ns:.2f} ns, where a ledger "
             f"without the timeline stores 16 bytes in {plain_ns:.2f} ns (`build/bench/timeline_cost "
             f"{SHARDS}`); a shard takes {shard_cpu_ns:.0f} ns of CPU in NEW's run (2 cores x makespan / "
             f"shards): the difference is **{100 * (log_ns - plain_ns) / shard_cpu_ns:.2f} %** of it.",
             f"- after the last shard, rank 0 puts the rows in their slots and builds the rows and busy "
             f"bins in {end_ns:.2f} ns per shard ({end_ns * SHARDS / 1e6:.1f} ms here), then HDF5 writes "
             f"them ({31 * SHARDS / 1e6:.1f} MB, 31 bytes a row): the whole command's difference below.", "",
             "## A/B", "",
             f"The binaries run interleaved (ABBA) {args.reps} times each"
             + (f"; OLD: {args.old_label}." if args.old else "."), "",
             "| binary | median makespan s | shards/s | median whole command s |",
             "| --- | ---: | ---: | ---: |"]
    for label in labels:
        m = statistics.median(t[0] for t in times[label])
        w = statistics.median(t[1] for t in times[label])
        lines.append(f"| {label} | {m:.4f} | {SHARDS / m:,.0f} | {w:.3f} |")
    lines.append("")
    for label, base in [("new", "control")] + ([("new", "old"), ("control", "old")] if args.old else []):
        for i, what in ((0, "makespan"), (1, "whole command")):
            a = [t[i] for t in times[label]]
            b = [t[i] for t in times[base]]
            lo, hi = ratio_interval(a, b)
            lines.append(f"- {what}: {label} / {base} = {statistics.median(a) / statistics.median(b):.3f} "
                         f"(95 % interval {lo:.3f} .. {hi:.3f})")
    write_report(os.path.join(out, "timeline_overhead.md"), lines)


if __name__ == "__main__":
    main()
