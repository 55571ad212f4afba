#!/usr/bin/python3
"""Start-up: how long shardrun takes to start and end against an MPI program
that only starts and ends, with mpirun at 2 ranks and as a single process
(`shardrun run ...` without mpirun, an MPI singleton).

Cases, alternating within each repetition:
  empty            build/bench/mpi_empty (MPI_Init, a barrier, MPI_Finalize),
                   with Open MPI's defaults
  empty, tuned     the same with the settings shardrun makes before MPI_Init
                   on a host without a fabric (pml ob1, osc sm,pt2pt; as a
                   singleton also PMIx psec native and no orted)
  shardrun         `shardrun run synthetic --items 2 --shards 2`: the whole
                   command, and the time from the launch to the first shard
                   (/run first_shard_s)
  shardrun, orted  as a singleton only: shardrun with the singleton's orted
                   (OMPI_MCA_ess_singleton_isolated=0, what shardrun did before)

Results: bench/results/startup.md and startup.csv.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

import benchlib

TUNED = {"OMPI_MCA_pml": "ob1", "OMPI_MCA_osc": "sm,pt2pt"}
TUNED_SINGLETON = dict(TUNED, PMIX_MCA_psec="native", OMPI_MCA_ess_singleton_isolated="1")


def timed(cmd, env):
    """Seconds of the whole command, and the Unix time it was launched."""
    launched = time.time()
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env=dict(benchlib.ENV, **env))
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"startup bench: {' '.join(cmd)} failed:\n{r.stderr}")
    return seconds, launched


def main():
    args = benchlib.parse_args(__doc__)
    shardrun = benchlib.shardrun_binary()
    empty = os.path.join(os.path.dirname(shardrun), "bench", "mpi_empty")
    if not os.path.exists(empty):
        sys.exit(f"startup bench: {empty} not built (cmake --build build --target mpi_empty)")
    reps = args.reps or (2 if args.quick else 9)
    results = benchlib.results_dir(args.quick)
    work = tempfile.mkdtemp(prefix="shardrun-bench-startup-")
    output = os.path.join(work, "s.h5")
    job = [shardrun, "run", "synthetic", "--items", "2", "--shards", "2", "--quiet",
           "--output", output]
    mpirun = ["mpirun", "-n", "2"]
    cases = [
        ("mpirun -n 2", "empty", mpirun + [empty], {}),
        ("mpirun -n 2", "empty, tuned", mpirun + [empty], TUNED),
        ("mpirun -n 2", "shardrun", mpirun + job, {}),
        ("single process", "empty", [empty], {}),
        ("single process", "empty, tuned", [empty], TUNED_SINGLETON),
        ("single process", "shardrun, orted", job, {"OMPI_MCA_ess_singleton_isolated": "0"}),
        ("single process", "shardrun", job, {}),
    ]
    whole, first, rows = {}, {}, []
    for rep in range(reps):
        order = cases if rep % 2 == 0 else cases[::-1]
        for launch, name, cmd, env in order:
            seconds, launched = timed(cmd, env)
            key = (launch, name)
            whole.setdefault(key, []).append(seconds)
            to_first = ""
            if cmd[-1] == output:
                with h5py.File(output, "r") as f:
                    to_first = f["run"].attrs["first_shard_s"] - launched
                first.setdefault(key, []).append(to_first)
                os.unlink(output)
            rows.append(["startup", launch, name, rep, f"{seconds:.4f}",
                         f"{to_first:.4f}" if to_first != "" else ""])
            print(f"rep {rep} {launch:14s} {name:16s} {seconds:.3f} s"
                  + (f"  first shard after {to_first:.3f} s" if to_first != "" else ""),
                  flush=True)
    os.rmdir(work)
    benchlib.write_csv(os.path.join(results, "startup.csv"),
                       ["study", "launch", "case", "rep", "whole_s", "to_first_shard_s"], rows)

    def cell(values):
        return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"

    med = {k: statistics.median(v) for k, v in whole.items()}
    lines = [
        "# Start-up: shardrun against an MPI program that only starts and ends", "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC; machine: "
        f"{os.cpu_count()} cores, {benchlib.model()}",
        f"- Command: `bench/startup.py{' ' if len(sys.argv) > 1 else ''}{' '.join(sys.argv[1:])}`",
        "- shardrun: `shardrun run synthetic --items 2 --shards 2 --quiet --output s.h5` (two "
        "shards of no work: start, plan, run, write the result, end); empty: `build/bench/"
        "mpi_empty` (MPI_Init, MPI_Barrier, MPI_Finalize). Tuned: the empty program with what "
        "shardrun sets before MPI_Init on a host without a fabric (`OMPI_MCA_pml=ob1`, "
        "`OMPI_MCA_osc=sm,pt2pt`; alone also `PMIX_MCA_psec=native`, "
        "`OMPI_MCA_ess_singleton_isolated=1`). \"shardrun, orted\": the singleton's orted "
        "started, as before this study (`OMPI_MCA_ess_singleton_isolated=0`).",
        f"- {reps} repetitions, cases alternating; medians (min–max). Whole: the command, as "
        "a shell runs it. First shard: from the launch to the first shard's start "
        "(`/run` `first_shard_s`).", "",
        "| launch | case | whole s | to first shard s |", "|---|---|---:|---:|",
    ]
    for launch, name, _, _ in cases:
        key = (launch, name)
        lines.append(f"| {launch} | {name} | {cell(whole[key])} | "
                     f"{cell(first[key]) if key in first else ''} |")
    shardrun_part = {launch: med[(launch, "shardrun")] - med[(launch, "empty, tuned")]
                     for launch in ("mpirun -n 2", "single process")}
    lines += [
        "",
        f"- shardrun's own part (shardrun − empty, tuned): {shardrun_part['mpirun -n 2']:+.3f} s "
        f"under mpirun, {shardrun_part['single process']:+.3f} s alone.",
        f"- Alone, without the singleton's orted: {med[('single process', 'shardrun, orted')]:.3f} s "
        f"→ {med[('single process', 'shardrun')]:.3f} s.",
    ]
    benchlib.write_report(os.path.join(results, "startup.md"), lines)


if __name__ == "__main__":
    main()
