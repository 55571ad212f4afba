#!/usr/bin/env python3
"""The final code (f6b604f) against the old code, at 1,000 and 10,000 ranks:
bench/results/stealsim/final.{md,csv}. The final runs' rows come from a CSV
the simulator wrote (the commands are in it, one per row, in `command`);
the old code's rows are those of now.csv (variant old).

    /usr/bin/python3 bench/stealsim/final.py RUNS.csv COMMANDS.txt
"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "bench", "results", "stealsim")


def key(cost, plan, net, ranks, seed):
    return (cost, plan, net, int(ranks), int(seed))


def main():
    runs_csv, commands_txt = sys.argv[1], sys.argv[2]
    commands = {}
    for line in open(commands_txt):
        if line.startswith("# "):
            cmd = line[2:].strip()
            commands[cmd.split("--label ")[1].split()[0]] = cmd
    final = {}
    for r in csv.DictReader(open(runs_csv)):
        if r["label"] in {x["label"] for x in final.values()}:
            continue  # the same run twice (deterministic): keep one
        plan = r["label"].split(".")[0]
        r["command"] = commands.get(r["label"], "")
        final[key(r["cost"], plan, r["net"], r["ranks"], r["seed"])] = r
    old = {}
    for r in csv.DictReader(open(os.path.join(RESULTS, "now.csv"))):
        if r["variant"] == "old":
            old[key(r["cost"], r["plan"], r["net"], r["ranks"], r["seed"])] = r
    fields = ["plan", "cost", "net", "ranks", "seed", "efficiency", "utilization", "steals_mean",
              "steals_max", "remote_ops_mean", "idle_calls_mean", "rank0_ops_per_s",
              "rank0_peak_ops_per_s_10ms", "rank0_peak_queue", "termination_delay_s", "command"]
    with open(os.path.join(RESULTS, "final.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["code"] + fields)
        for k in sorted(final):
            for code, table in (("old", old), ("final", final)):
                if k in table:
                    r = dict(table[k], plan=k[1])
                    w.writerow([code] + [r.get(x, "") for x in fields])

    def num(x):
        v = float(x)
        return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.1f}k" if v >= 1e3 else f"{v:.3g}"

    lines = ["# The final code against the old code: simulated (`bench/stealsim`)", "",
             "`/usr/bin/python3 bench/stealsim/final.py RUNS.csv COMMANDS.txt`; every run's command "
             "is in `final.csv`. **Simulated, not measured** (README.md: the model, its validation "
             "and its limits). **old** = the code before 2026-12-02 (`--protocol current "
             "--prefetch always --ticks rank0`, rows of `now.csv`); **final** = commit f6b604f "
             "(`--protocol bounded --prefetch depth --ticks scaled`). Ranks × 1 thread, 64 ranks "
             "a node; plans as in `scale.md` (synthetic: default plan, 4,096 shards whatever P; "
             "dataset: 16 shards of 4 MiB a rank, 41 ms a shard on average).", "",
             "| plan | cost | net | ranks | seed | efficiency old → final | utilization old → final "
             "| steals/rank mean (max) old → final | ops per idle call old → final | rank-0 ops/s "
             "old → final | rank-0 peak ops/s (10 ms) old → final | rank-0 peak queue old → final |",
             "|---|---|---|---:|---:|---|---|---|---|---|---|---|"]
    for k in sorted(final, key=lambda k: (k[3], k[1], k[0], k[2], k[4])):
        n, o = final[k], old.get(k)

        def pair(f, fmt=lambda x: x):
            return f"{fmt(o[f]) if o else '—'} → {fmt(n[f])}"

        per_idle = lambda r: num(float(r["remote_ops_mean"]) / max(float(r["idle_calls_mean"]), 1))
        steals = lambda r: f"{float(r['steals_mean']):.2f} ({r['steals_max']})"
        lines.append(
            f"| {k[1]} | {k[0]} | {k[2]} | {k[3]:,} | {k[4]} | {pair('efficiency')} | "
            f"{pair('utilization')} | {(steals(o) if o else '—')} → {steals(n)} | "
            f"{(per_idle(o) if o else '—')} → {per_idle(n)} | {pair('rank0_ops_per_s', num)} | "
            f"{pair('rank0_peak_ops_per_s_10ms', num)} | {pair('rank0_peak_queue', num)} |")
    open(os.path.join(RESULTS, "final.md"), "w").write("\n".join(lines) + "\n")
    print("final: wrote final.md and final.csv")


if __name__ == "__main__":
    main()
