#!/usr/bin/python3
"""Task farm throughput and balance against GNU parallel and xargs.

  bench/taskfarm.py            # 2000 x true, 500 x sleep 0.01, 300 pareto tasks; 5 reps
  bench/taskfarm.py --quick    # CI smoke: a tenth of the tasks, 1 rep, results in bench/results/quick/

Every tool runs the same command lines through /bin/sh, two at a time:
  shardrun  mpirun -n 2 shardrun run exec --tasks FILE --output OUT.h5   (2 ranks x 1 slot)
  ckpt      the same with --checkpoint CKPT --checkpoint-keep no: every success journaled
            (written and flushed) before its slot takes another task
  parallel  parallel -j2 < FILE        (GNU parallel from Debian, PARALLEL_SHELL=/bin/sh)
  xargs     xargs -d '\\n' -n1 -P2 sh -c < FILE
Seconds are the whole command's wall time, launch included (what a user
waits for); for shardrun the in-run makespan (first task start to last task
end, from /run) is reported as well. Tools alternate within each repetition.
Writes bench/results/taskfarm.{csv,md}.
"""
import datetime
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

import benchlib
from benchlib import ROOT, model

ENV = dict(benchlib.ENV, PARALLEL_SHELL="/bin/sh")




def pareto_durations(n, mean_s, alpha, seed):
    """n durations from a Pareto(alpha) law with the given mean, fixed seed."""
    rng = random.Random(seed)
    scale = mean_s * (alpha - 1) / alpha
    return [scale * rng.paretovariate(alpha) for _ in range(n)]


def main():
    args = benchlib.parse_args(__doc__)
    benchlib.require("taskfarm", ("parallel", "xargs", "mpirun"))
    shardrun = benchlib.shardrun_binary()
    reps = args.reps or (1 if args.quick else 5)
    scale = 10 if args.quick else 1
    results = benchlib.results_dir(args.quick)
    work = tempfile.mkdtemp(prefix="shardrun-bench-farm-")

    durations = pareto_durations(300 // scale, 0.020, 2.0, seed=11)
    cases = {
        "true": ["true"] * (2000 // scale),
        "sleep 0.01": ["sleep 0.01"] * (500 // scale),
        "pareto": [f"sleep {d:.4f}" for d in durations],
        "launch": ["true"],  # one task: shardrun's fixed cost (MPI start and end, output file)
    }
    bound = max(sum(durations) / 2, max(durations))  # 2 slots; sleeps cost no CPU
    files = {}
    for name, lines in cases.items():
        files[name] = os.path.join(work, name.replace(" ", "_") + ".txt")
        with open(files[name], "w") as f:
            f.write("\n".join(lines) + "\n")

    def run(tool, name):
        path = files[name]
        out = os.path.join(work, "farm.h5")
        if tool in ("shardrun", "ckpt"):
            cmd = ["mpirun", "-n", "2", shardrun, "run", "exec", "--tasks", path, "--output", out,
                   "--quiet"]
            if tool == "ckpt":
                cmd += ["--checkpoint", os.path.join(work, "farm.ckpt.h5"), "--checkpoint-keep", "no"]
        elif tool == "parallel":
            cmd = ["parallel", "--will-cite", "-j2"]
        else:
            cmd = ["xargs", "-d", "\n", "-n1", "-P2", "sh", "-c"]
        with open(path) as stdin:
            started = time.monotonic()
            r = subprocess.run(cmd, stdin=stdin, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=ENV)
            wall = time.monotonic() - started
        if r.returncode != 0:
            sys.exit(f"taskfarm bench: {tool} on {name} failed:\n{r.stderr}")
        makespan = None
        if tool in ("shardrun", "ckpt"):
            with h5py.File(out, "r") as f:
                makespan = float(f["run"].attrs["makespan_s"])
                if int(f["tasks"].attrs["succeeded"]) != len(cases[name]):
                    sys.exit("taskfarm bench: shardrun did not run every task")
        return wall, makespan

    tools = ["shardrun", "ckpt", "parallel", "xargs"]
    rows, walls, makespans = [], {}, {}
    for rep in range(reps):
        for name in cases:
            order = tools[rep % 4:] + tools[:rep % 4]  # alternate who goes first
            for tool in (order if name != "launch" else ["shardrun"]):
                wall, makespan = run(tool, name)
                walls.setdefault((name, tool), []).append(wall)
                if makespan is not None and tool == "shardrun":
                    makespans.setdefault(name, []).append(makespan)
                n = len(cases[name])
                mpi = tool in ("shardrun", "ckpt")
                rows.append(["taskfarm", name, tool, 2 if mpi else 1, 1 if mpi else 2,
                             rep, f"{wall:.4f}", f"{n / wall:.1f}",
                             f"{makespan:.4f}" if makespan is not None else ""])
                print(f"rep {rep} {name:10s} {tool:8s} {wall:7.3f} s  {n / wall:8.1f} tasks/s"
                      + (f"  makespan {makespan:.3f} s" if makespan is not None else ""), flush=True)
    shutil.rmtree(work, ignore_errors=True)

    benchlib.write_csv(os.path.join(results, "taskfarm.csv"), ["study", "case", "tool", "ranks", "threads", "rep", "seconds", "throughput", "makespan_s"], rows)

    med = {k: statistics.median(v) for k, v in walls.items()}
    lines = [
        "# Task farm: shardrun vs GNU parallel and xargs", "",
        f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M:%S} UTC; machine: {os.cpu_count()} cores, {model()}",
        f"- Command: `bench/taskfarm.py{' ' if len(sys.argv) > 1 else ''}{' '.join(sys.argv[1:])}`",
        f"- {reps} repetition(s), tools alternating; medians (min–max). Two tasks at a time for every tool: "
        "`mpirun -n 2 shardrun run exec --tasks FILE` (2 ranks x 1 slot), `parallel -j2`, "
        "`xargs -d '\\n' -n1 -P2 sh -c`; all run each line with /bin/sh. *ckpt*: shardrun with "
        "`--checkpoint CKPT --checkpoint-keep no`, so every task's success is journaled (written and "
        "flushed) before its slot takes the next task.",
        f"- Seconds: the whole command, launch and teardown included; shardrun's fixed part, measured as "
        f"a farm of one `true` task, is {statistics.median(walls[('launch', 'shardrun')]):.3f} s (mpirun, "
        "MPI start and end, the output file).",
        "", "| case | tasks | shardrun s | ckpt s | parallel s | xargs s | shardrun tasks/s | parallel tasks/s | xargs tasks/s | shardrun / parallel | ckpt / parallel | shardrun / xargs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    del cases["launch"]
    for name, lines_ in cases.items():
        n = len(lines_)
        cell = lambda t: f"{med[(name, t)]:.3f} ({min(walls[(name, t)]):.3f}–{max(walls[(name, t)]):.3f})"
        lines.append(f"| {name} | {n} | {cell('shardrun')} | {cell('ckpt')} | {cell('parallel')} | "
                     f"{cell('xargs')} | "
                     f"{n / med[(name, 'shardrun')]:.0f} | {n / med[(name, 'parallel')]:.0f} | "
                     f"{n / med[(name, 'xargs')]:.0f} | "
                     f"{med[(name, 'parallel')] / med[(name, 'shardrun')]:.2f}x | "
                     f"{med[(name, 'parallel')] / med[(name, 'ckpt')]:.2f}x | "
                     f"{med[(name, 'xargs')] / med[(name, 'shardrun')]:.2f}x |")
    ms = {k: statistics.median(v) for k, v in makespans.items()}
    lines += ["", "shardrun's in-run makespan (first task start to last task end, from /run), median:", ""]
    for name, lines_ in cases.items():
        lines.append(f"- {name}: {ms[name]:.3f} s, {len(lines_) / ms[name]:.0f} tasks/s")
    ratio_true = med[("true", "parallel")] / med[("true", "shardrun")]
    ratio_ckpt = med[("true", "parallel")] / med[("true", "ckpt")]
    ratio_xargs = med[("true", "xargs")] / med[("true", "shardrun")]
    pareto_ratio = ms["pareto"] / bound
    pareto_wall_ratio = med[("pareto", "shardrun")] / bound
    lines += [
        "", f"Pareto set: {len(durations)} tasks, alpha 2, mean {statistics.mean(durations) * 1000:.1f} ms, "
        f"longest {max(durations) * 1000:.0f} ms; lower bound max(sum / 2 slots, longest) = {bound:.3f} s.",
        f"- shardrun makespan / bound: {pareto_ratio:.3f}; whole command / bound: {pareto_wall_ratio:.3f}; "
        f"parallel / bound: {med[('pareto', 'parallel')] / bound:.3f}; xargs / bound: {med[('pareto', 'xargs')] / bound:.3f}.",
    ]
    if not args.quick:
        lines += ["", "Targets:",
                  f"- ≥ 3x GNU parallel's throughput on `true`: {'PASS' if ratio_true >= 3 else 'FAIL'} ({ratio_true:.2f}x)",
                  f"- the same with --checkpoint (every success journaled): {'PASS' if ratio_ckpt >= 3 else 'FAIL'} ({ratio_ckpt:.2f}x)",
                  f"- at least xargs' throughput on `true` (whole command): {'PASS' if ratio_xargs >= 1 else 'FAIL'} ({ratio_xargs:.2f}x)",
                  f"- pareto makespan within 10 % of the lower bound: {'PASS' if pareto_ratio <= 1.10 else 'FAIL'} ({pareto_ratio:.3f})"]
    benchlib.write_report(os.path.join(results, "taskfarm.md"), lines)


if __name__ == "__main__":
    main()
