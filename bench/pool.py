#!/usr/bin/python3
"""The task farm as a resource pool: a mixed farm's utilization against GNU
parallel and a greedy schedule, and the per-task scheduling overhead with the
resource check.

  bench/pool.py            # 240 mixed tasks, 2000 x true; 3 reps
  bench/pool.py --quick    # CI smoke: a fifth of the tasks, 1 rep, results in bench/results/quick/

Mixed farm: tasks of 1, 2 or 4 cpus (equally likely), each `sleep D` with D
from a Pareto(1.8) law of mean 0.25 s (fixed seed), on a pool of 16 cpus:
  shardrun  mpirun -n 2 shardrun run exec --tasks mixed.jsonl --pool cpus=8
  parallel  parallel -j4 < mixed.txt   (16 cpus / 4, the largest task: what a
            user without a resource-aware tool sets so that no instant
            overfills the pool)
  greedy    a list schedule of the same tasks in the same order on one pool of
            16 cpus with no overhead: each starts at the first instant its
            cpus are free (computed, not run); and the same on two pools of 8
            (shardrun's two ranks), each task on the pool free first
  bound     max(cpu-seconds / 16, the longest task): no schedule is shorter
The pool is oversubscribed on purpose (16 cpus on a 2-core machine): a sleep
holds its cpus without using them, so the figures are the scheduling, not
the machine. Utilization: the tasks' cpu-seconds (cpus x nominal duration)
over 16 x the makespan (first start to last end).

Overhead: 2000 x `true` on 1 rank with 1 slot, plain (`--tasks t.txt`) and
with the resource check (`--tasks t.jsonl` of {"cmd": "true", "cpus": 1}
with --pool cpus=2: a pool grant, cores as affinity, OMP_NUM_THREADS); the
gap between one task's end and the next one's start, from /tasks. One slot:
with two on 2 cores, spawning /bin/sh (about 0.8 ms of cpu each) fills both
cores and a slot's thread waits for a core, not for the scheduler.
Writes bench/results/pool.{csv,md}.
"""
import datetime
import heapq
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile

import h5py

import benchlib
from benchlib import ROOT, model

POOL = 16


def mixed_tasks(n, seed=20):
    rng = random.Random(seed)
    mean, alpha = 0.25, 1.8
    scale = mean * (alpha - 1) / alpha
    return [(rng.choice((1, 2, 4)), round(scale * rng.paretovariate(alpha), 3)) for _ in range(n)]


def greedy_makespan(tasks, pool):
    """List scheduling in order: a task starts when its cpus are free (and not
    before the one listed ahead of it started)."""
    free, now, ends = pool, 0.0, []  # ends: heap of (end, cpus)
    makespan = 0.0
    for cpus, d in tasks:
        while free < cpus:
            end, c = heapq.heappop(ends)
            now = max(now, end)
            free += c
        heapq.heappush(ends, (now + d, cpus))
        free -= cpus
        makespan = max(makespan, now + d)
    return makespan


def greedy_split_makespan(tasks, pools, size):
    """The same list scheduling on `pools` pools of `size` cpus (shardrun's
    ranks): each task, in order, on the pool where it can start first."""
    state = [(size, 0.0, []) for _ in range(pools)]  # free, now, heap of (end, cpus)

    def start_time(free, now, ends, cpus):
        ends = sorted(ends)
        for end, c in ends:
            if free >= cpus:
                break
            now, free = max(now, end), free + c
        return now

    makespan = 0.0
    for cpus, d in tasks:
        best = min(range(pools), key=lambda p: start_time(*state[p], cpus))
        free, now, ends = state[best]
        while free < cpus:
            end, c = heapq.heappop(ends)
            now, free = max(now, end), free + c
        heapq.heappush(ends, (now + d, cpus))
        state[best] = (free - cpus, now, ends)
        makespan = max(makespan, now + d)
    return makespan


def placed_makespan(records, size):
    """shardrun's placement and order with a perfect in-rank scheduler: each
    rank's own tasks, in the order they started there, list-scheduled on its
    pool with no overhead; the slowest rank's makespan."""
    by_rank = {}
    for r in records:
        by_rank.setdefault(int(r["rank"]), []).append(r)
    spans = []
    for rows in by_rank.values():
        rows.sort(key=lambda r: r["start"])
        spans.append(greedy_makespan([(int(r["cpus"]), float(r["duration"])) for r in rows], size))
    return max(spans)


def end_tail(records):
    """How long the rank that ran out first waited for the last one."""
    ends = {}
    for r in records:
        rank = int(r["rank"])
        ends[rank] = max(ends.get(rank, 0.0), r["start"] + r["duration"])
    return max(ends.values()) - min(ends.values())


def read_tasks(path):
    with h5py.File(path, "r") as f:
        g = f["tasks"]
        if int(g.attrs["failed"]) or int(g.attrs["not_run"]):
            sys.exit(f"pool bench: tasks failed in {path}")
        return [dict(zip(("start", "duration", "slot", "rank", "cpus"), row)) for row in zip(
            g["start"][()], g["duration"][()], g["slot"][()], g["rank"][()], g["cpus"][()])]


def run(cmd, stdin=None):
    with open(stdin or os.devnull) as f:
        r = subprocess.run(cmd, stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, env=benchlib.ENV)
    if r.returncode != 0:
        sys.exit(f"pool bench: {' '.join(cmd)} failed:\n{r.stderr}")


def gaps_us(records):
    """Per slot of each rank: start of a task minus the end of the one before."""
    gaps = []
    by_slot = {}
    for r in records:
        by_slot.setdefault((int(r["rank"]), int(r["slot"])), []).append(r)
    for rows in by_slot.values():
        rows.sort(key=lambda r: r["start"])
        gaps += [(b["start"] - a["start"] - a["duration"]) * 1e6 for a, b in zip(rows, rows[1:])]
    return gaps


def main():
    args = benchlib.parse_args(__doc__)
    benchlib.require("pool", ("parallel", "mpirun"))
    shardrun = benchlib.shardrun_binary()
    reps = args.reps or (1 if args.quick else 3)
    scale = 5 if args.quick else 1
    results = benchlib.results_dir(args.quick)
    work = tempfile.mkdtemp(prefix="shardrun-bench-pool-")
    path = lambda name: os.path.join(work, name)

    tasks = mixed_tasks(240 // scale)
    with open(path("mixed.jsonl"), "w") as f:
        f.writelines(json.dumps({"cmd": f"sleep {d}", "cpus": c}) + "\n" for c, d in tasks)
    with open(path("mixed.txt"), "w") as f:
        f.writelines(f"sleep {d}\n" for _, d in tasks)
    work_cpu_s = sum(c * d for c, d in tasks)
    bound = max(work_cpu_s / POOL, max(d for _, d in tasks))
    greedy = greedy_makespan(tasks, POOL)
    greedy2 = greedy_split_makespan(tasks, 2, POOL // 2)
    n_true = 2000 // scale
    with open(path("true.txt"), "w") as f:
        f.write("true\n" * n_true)
    with open(path("true.jsonl"), "w") as f:
        f.write('{"cmd": "true", "cpus": 1}\n' * n_true)

    farm = ["run", "exec", "--quiet", "--output", path("farm.h5")]
    rows, spans, gaps, placed, tails = [], {}, {}, [], []
    for rep in range(reps):
        for tool in (["shardrun", "parallel"] if rep % 2 == 0 else ["parallel", "shardrun"]):
            if tool == "shardrun":
                run(["mpirun", "-n", "2", "--oversubscribe", shardrun] + farm +
                    ["--tasks", path("mixed.jsonl"), "--pool", f"cpus={POOL // 2}"])
                recs = read_tasks(path("farm.h5"))
                placed.append(placed_makespan(recs, POOL // 2))
                tails.append(end_tail(recs))
                starts = [r["start"] for r in recs]
                ends = [r["start"] + r["duration"] for r in recs]
            else:
                joblog = path("parallel.joblog")
                run(["parallel", "--will-cite", f"-j{POOL // 4}", "--joblog", joblog],
                    stdin=path("mixed.txt"))
                with open(joblog) as f:
                    entries = [line.split("\t") for line in f.read().splitlines()[1:]]
                starts = [float(e[2]) for e in entries]
                ends = [float(e[2]) + float(e[3]) for e in entries]
            span = max(ends) - min(starts)
            spans.setdefault(tool, []).append(span)
            util = work_cpu_s / (POOL * span)
            rows.append(["pool", "mixed", tool, rep, f"{span:.4f}", f"{util:.4f}", ""])
            print(f"rep {rep} mixed {tool:8s} makespan {span:6.3f} s  utilization {util:.3f}",
                  flush=True)
        for case, tasks_file, extra in (("plain", "true.txt", []),
                                        ("resource check", "true.jsonl", ["--pool", "cpus=2"])):
            run(["mpirun", "-n", "1", shardrun] + farm + ["--tasks", path(tasks_file), "--slots",
                                                           "1"] + extra)
            g = gaps_us(read_tasks(path("farm.h5")))
            g.sort()
            gaps.setdefault(case, []).append(
                (statistics.median(g), statistics.mean(g), g[int(0.99 * (len(g) - 1))]))
            rows.append(["pool", f"overhead {case}", "shardrun", rep, "", "",
                         f"{statistics.median(g):.1f}"])
            print(f"rep {rep} overhead {case:15s} median gap {statistics.median(g):7.1f} us "
                  f"(mean {statistics.mean(g):.1f}, p99 {g[int(0.99 * (len(g) - 1))]:.1f})",
                  flush=True)
    shutil.rmtree(work, ignore_errors=True)
    benchlib.write_csv(os.path.join(results, "pool.csv"),
                       ["study", "case", "tool", "rep", "makespan_s", "utilization", "gap_us"], rows)

    med = {t: statistics.median(v) for t, v in spans.items()}
    util = lambda span: work_cpu_s / (POOL * span)
    cell = lambda t: (f"{med[t]:.3f} ({min(spans[t]):.3f}–{max(spans[t]):.3f}) | "
                      f"{util(med[t]):.3f}")
    lines = [
        "# Task farm as a resource pool: utilization and per-task overhead", "",
        f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M:%S} UTC; machine: {os.cpu_count()} cores, "
        f"{model()}",
        f"- Command: `bench/pool.py{' ' if len(sys.argv) > 1 else ''}{' '.join(sys.argv[1:])}`",
        f"- Mixed farm: {len(tasks)} tasks of 1, 2 and 4 cpus, `sleep D` with D Pareto(1.8), mean "
        f"0.25 s, longest {max(d for _, d in tasks):.3f} s; {work_cpu_s:.1f} cpu-seconds on a pool "
        f"of {POOL} cpus (oversubscribed on purpose: sleeps hold cpus without using them). "
        f"shardrun: `mpirun -n 2 shardrun run exec --tasks mixed.jsonl --pool cpus={POOL // 2}`; "
        f"parallel: `parallel -j{POOL // 4}` (the pool over the largest task); greedy: in-order list "
        "scheduling on one pool, no overhead (computed); bound: max(cpu-seconds / pool, longest "
        "task).",
        f"- {reps} repetition(s), tools alternating; medians (min–max). Makespan: first start to "
        "last end (from /tasks, from parallel's --joblog). Utilization: cpu-seconds / "
        "(pool x makespan).", "",
        "| schedule | makespan s | utilization |", "|---|---:|---:|",
        f"| shardrun | {cell('shardrun')} |",
        f"| parallel -j{POOL // 4} | {cell('parallel')} |",
        f"| greedy, one pool of {POOL} (computed) | {greedy:.3f} | {util(greedy):.3f} |",
        f"| greedy, two pools of {POOL // 2} (computed) | {greedy2:.3f} | {util(greedy2):.3f} |",
        f"| bound | {bound:.3f} | {util(bound):.3f} |", "",
        f"- shardrun / parallel makespan: {med['shardrun'] / med['parallel']:.2f}; shardrun / greedy: "
        f"{med['shardrun'] / greedy:.2f} (one pool), {med['shardrun'] / greedy2:.2f} (two pools); shardrun / bound: {med['shardrun'] / bound:.2f}.",
        f"- Where the gap to the two-pool greedy schedule lies (medians): each rank's own "
        f"tasks, in the order they started there, list-scheduled on its pool with no overhead, "
        f"end after {statistics.median(placed):.3f} s; so shardrun's placement and order "
        f"(which rank took which task, when) cost {statistics.median(placed) - greedy2:+.3f} s "
        f"against the greedy placement, and its in-rank scheduling (the reservation for large "
        f"tasks, start-up, per-task overhead) {med['shardrun'] - statistics.median(placed):+.3f} s. "
        f"The rank that ran out first waited {statistics.median(tails):.3f} s for the other.",
        "",
        f"Per-task overhead, {n_true} x `true`, 1 rank, 1 slot: the gap between a task's end and "
        "the next one's start (per run its median, mean and 99th percentile; medians over the "
        "repetitions).", "",
        "| farm | median gap µs | mean gap µs | p99 gap µs |", "|---|---:|---:|---:|",
    ]
    for case, v in gaps.items():
        m = [statistics.median(x[i] for x in v) for i in range(3)]
        lines.append(f"| {case} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} |")
    benchlib.write_report(os.path.join(results, "pool.md"), lines)


if __name__ == "__main__":
    main()
