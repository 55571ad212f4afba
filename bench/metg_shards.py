#!/usr/bin/python3
"""METG per shard, as Task Bench measures it: the smallest shard cost at which
2 ranks x 1 thread still reach >= 90 % efficiency, with the run long enough
that start and end do not decide it.

  bench/metg_shards.py            # shard costs 2..50 us, 1 s of work per rank, 5 reps
  bench/metg_shards.py --quick    # CI smoke: 0.1 s per rank, 1 rep, results in bench/results/quick/

Every shard is one synthetic item of uniform cost with the given mean
(`--shards` = `--items`), and there are 2 s / mean of them, so the nominal
work is 2 s whatever the shard cost. Nominal efficiency = nominal work /
(2 x makespan), the nominal work being the items' calibrated costs (from the
/run record: rank speed x busy time), so every cost that is not the items'
burn loop counts against it. bench/imbalance.sh's METG sweep keeps about
4,000 default shards and shrinks the item cost, so its runs at small costs
last only milliseconds; this one keeps the run at a second per rank and
shrinks the shard. Strategies alternate within each repetition.
Writes bench/results/metg_shards.{csv,md}.
"""
import datetime
import os
import statistics
import subprocess
import sys

import h5py

import benchlib
from benchlib import ENV, ROOT, model

TARGET = 0.90
STRATEGIES = ["steal", "counter", "static"]


def main():
    args = benchlib.parse_args(__doc__)
    shardrun = benchlib.shardrun_binary()
    work_us = 200_000 if args.quick else 2_000_000
    costs = [5, 20] if args.quick else [2, 5, 10, 20, 50]
    reps = args.reps or (1 if args.quick else 5)
    results = benchlib.results_dir(args.quick)
    out = os.path.join(ROOT, "bench", "work", "metg_shards.h5")
    rows, eff = [], {}
    for rep in range(reps):
        for cost in costs:
            shards = work_us // cost
            order = STRATEGIES[rep % 3:] + STRATEGIES[:rep % 3]
            for strategy in order:
                cmd = ["mpirun", "-n", "2", shardrun, "run", "synthetic", "--items", str(shards), "--shards",
                       str(shards), "--mean-us", str(cost), "--cost", "uniform", "--balance", strategy,
                       "--threads", "1", "--output", out, "--quiet"]
                r = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(f"metg_shards bench: {' '.join(cmd)} failed:\n{r.stderr}")
                with h5py.File(out, "r") as f:
                    run = f["run"]
                    makespan = float(run.attrs["makespan_s"])
                    work_s = float((run["rank_speed"][()] * run["rank_busy_s"][()]).sum()) * 1e-6
                e = work_s / (2 * makespan)
                eff.setdefault((cost, strategy), []).append(e)
                rows.append(["metg_shards", f"{cost} us per shard", strategy, 2, 1, rep, f"{makespan:.4f}",
                             f"{e:.4f}", shards, f"{work_s:.4f}"])
                print(f"rep {rep} {cost:3d} us {strategy:7s}: makespan {makespan:.3f} s, efficiency {e:.3f}",
                      flush=True)
    benchlib.write_csv(os.path.join(results, "metg_shards.csv"),
                       ["study", "case", "tool", "ranks", "threads", "rep", "seconds", "efficiency", "shards",
                        "nominal_work_s"], rows)
    med = {k: statistics.median(v) for k, v in eff.items()}
    lines = [f"# METG per shard: 2 ranks x 1 thread, one item per shard, {work_us / 2e6:g} s of work per rank", "",
             f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M:%S} UTC; machine: {os.cpu_count()} cores, "
             f"{model()}",
             f"- Command: `bench/metg_shards.py{' ' if len(sys.argv) > 1 else ''}{' '.join(sys.argv[1:])}`",
             f"- Nominal work {work_us / 1e6:g} s in shards of one uniform item each; nominal efficiency = "
             f"nominal work / (2 x makespan); median (min–max) of {reps} repetition(s).", "",
             "| µs per shard | shards | " + " | ".join(STRATEGIES) + " |",
             "|---:|---:|" + "---:|" * len(STRATEGIES)]
    for cost in costs:
        cells = [f"{med[(cost, s)]:.3f} ({min(eff[(cost, s)]):.3f}–{max(eff[(cost, s)]):.3f})" for s in STRATEGIES]
        lines.append(f"| {cost} | {work_us // cost:,} | " + " | ".join(cells) + " |")
    lines.append("")
    for s in STRATEGIES:
        holding = [c for c in costs if all(med[(d, s)] >= TARGET for d in costs if d >= c)]
        if holding:
            metg = min(holding)
            verdict = "PASS" if metg <= 20 else "FAIL"
            lines.append(f"- {s}: METG ≤ {metg} µs per shard (every swept cost from it up reaches "
                         f"{TARGET:.2f}); target ≤ 20 µs: {verdict}")
        else:
            lines.append(f"- {s}: no swept cost reaches {TARGET:.2f}; target ≤ 20 µs: FAIL")
    benchlib.write_report(os.path.join(results, "metg_shards.md"), lines)


if __name__ == "__main__":
    main()
