#!/usr/bin/python3
"""The Python job study: examples/python/moments.py run by shardrun against
what a scientist would otherwise run, on one float64 dataset in the page cache.

Cases, interleaved in every repetition (medians reported):
  python 2x1        shardrun run python --script moments.py, 2 ranks x 1 thread
  python 2x2 / 1x2  the same with 2 threads per rank (--bind-to none): the GIL question
  mpi4py 2          bench/mpi4py_moments.py, the mpi4py + h5py + numpy script (blocks
                    read with read_direct, same figures), 2 ranks: 1 Mi-row blocks as
                    users write it, and smaller blocks (its best is reported too)
  stats 2x1         the built-in stats job (more figures, in C++)
  dask CHUNK        dask.array over h5py, the same sums, threaded scheduler, 2 threads,
                    for each chunk size of the sweep (the dataset is contiguous: no
                    layout to match, so the sweep picks the chunk)
Compute seconds are shardrun's makespan (/run) and the scripts' own timers
(reads and sums, after imports and open); whole seconds are the command's.
Also: the fixed cost of a Python shard (an empty process() over --items with one
item a shard, 1 rank) and the peak RSS of every rank.

    bench/python.py [--quick] [--reps N]
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

import benchlib
from benchlib import ENV, ROOT

EMPTY = """
def process(block, shard):
    return None

def combine(a, b):
    return None

def finalize(total):
    return {}
"""

DASK = """
import sys, time
import dask, dask.array as da, h5py, numpy as np
path, name = sys.argv[1].rsplit(":", 1)
chunk = int(sys.argv[2])
with h5py.File(path, "r") as f:
    d = f[name]
    start = time.perf_counter()
    x = da.from_array(d, chunks=(chunk,) + d.shape[1:])
    s, q = dask.compute(x.sum(axis=0, dtype=np.float64), da.square(x).sum(axis=0, dtype=np.float64),
                        scheduler="threads", num_workers=2)
    seconds = time.perf_counter() - start
    n = d.size * d.dtype.itemsize
print(f"seconds={seconds:.6f} bytes={n} gbps={n / seconds / 1e9:.4f}")
"""


def main():
    args = benchlib.parse_args(__doc__)
    rows = 20_000_000 if args.quick else 400_000_000  # 3.2 GB, the demo's size
    reps = args.reps or (2 if args.quick else 5)
    shardrun = os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"), "shardrun")
    work = os.path.join(ROOT, "bench", "work", "quick" if args.quick else "", "python")
    os.makedirs(work, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="shardrun-bench-python-")
    data = os.path.join(work, "x.h5")
    if not os.path.exists(data) or h5py.File(data, "r")["x"].shape != (rows,):
        subprocess.run([shardrun, "gen", "--output", data + ":/x", "--rows", str(rows), "--dist",
                        "normal", "--force"], check=True, env=ENV, capture_output=True)
    with open(data, "rb") as f:  # into the page cache
        while f.read(64 << 20):
            pass
    moments = os.path.join(ROOT, "examples", "python", "moments.py")
    empty = os.path.join(tmp, "empty.py")
    with open(empty, "w") as f:
        f.write(EMPTY)
    dask_script = os.path.join(tmp, "dask_moments.py")
    with open(dask_script, "w") as f:
        f.write(DASK)
    out = os.path.join(tmp, "out.h5")
    chunks = [1 << 16, 1 << 18, 1 << 19, 1 << 22, 1 << 24] if not args.quick else [1 << 16, 1 << 19]

    def rss_wrapped(cmd):
        """Each rank under /usr/bin/time: its peak RSS in KiB into tmp/rss.RANK."""
        return ["sh", "-c", 'exec /usr/bin/time -f %M -o "$0.${OMPI_COMM_WORLD_RANK:-0}" "$@"',
                os.path.join(tmp, "rss")] + cmd

    def peak_rss(ranks):
        return max(int(open(os.path.join(tmp, f"rss.{r}")).read().split()[-1]) for r in range(ranks))

    def shardrun_case(job, ranks, threads):
        cmd = ["mpirun", "-n", str(ranks)] + (["--bind-to", "none"] if threads > 1 else [])
        cmd += rss_wrapped([shardrun, "run"] + job + ["--input", data + ":/x", "--output", out,
                                                      "--threads", str(threads), "--quiet"])
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=ENV, capture_output=True)
        whole = time.perf_counter() - start
        with h5py.File(out, "r") as f:
            return float(f["run"].attrs["makespan_s"]), whole, peak_rss(ranks)

    def script_case(cmd, ranks):
        start = time.perf_counter()
        r = subprocess.run(["mpirun", "-n", str(ranks)] + rss_wrapped(cmd), check=True, env=ENV,
                           capture_output=True, text=True)
        whole = time.perf_counter() - start
        return float(re.search(r"seconds=([0-9.]+)", r.stdout).group(1)), whole, peak_rss(ranks)

    def mpi4py(block_rows):
        return script_case(["/usr/bin/python3", os.path.join(ROOT, "bench", "mpi4py_moments.py"),
                            data + ":/x", str(block_rows)], 2)

    cases = {
        "python 2x1": lambda: shardrun_case(["python", "--script", moments], 2, 1),
        "python 2x2": lambda: shardrun_case(["python", "--script", moments], 2, 2),
        "python 1x2": lambda: shardrun_case(["python", "--script", moments], 1, 2),
        "mpi4py 2 (1 Mi-row blocks)": lambda: mpi4py(1 << 20),
        "mpi4py 2 (256 Ki-row blocks)": lambda: mpi4py(1 << 18),
        "mpi4py 2 (64 Ki-row blocks)": lambda: mpi4py(1 << 16),
        "stats 2x1": lambda: shardrun_case(["stats"], 2, 1),
    }
    for c in chunks:
        cases[f"dask {c * 8 / 2**20:g} MiB chunks"] = (
            lambda c=c: script_case(["/usr/bin/python3", dask_script, data + ":/x", str(c)], 1))
    table = {name: [] for name in cases}
    csv_rows = []
    nbytes = rows * 8
    for rep in range(reps):
        for name, run in cases.items():
            compute, whole, rss = run()
            table[name].append((compute, whole, rss))
            csv_rows.append([name, rep, f"{compute:.4f}", f"{whole:.4f}", rss])
            print(f"rep {rep} {name}: {nbytes / compute / 1e9:.2f} GB/s compute, {whole:.3f} s whole, "
                  f"{rss >> 10} MiB", flush=True)

    # The fixed cost of a shard: an empty process() per item, 1 rank x 1 thread.
    shards = 20_000 if args.quick else 200_000
    per_shard = []
    for rep in range(reps):
        subprocess.run([shardrun, "run", "python", "--script", empty, "--items", str(shards),
                        "--shard-rows", "1", "--threads", "1", "--output", out, "--quiet"],
                       check=True, env=ENV, capture_output=True)
        with h5py.File(out, "r") as f:
            per_shard.append(float(f["run"].attrs["makespan_s"]) / shards * 1e6)

    med = {n: (statistics.median(v[0] for v in t), statistics.median(v[1] for v in t),
               max(v[2] for v in t)) for n, t in table.items()}
    dask_best = min((n for n in med if n.startswith("dask")), key=lambda n: med[n][0])
    results = benchlib.results_dir(args.quick)
    benchlib.write_csv(os.path.join(results, "python.csv"),
                       ["case", "rep", "compute_s", "whole_s", "peak_rss_kib"], csv_rows)
    py = med["python 2x1"]
    lines = [
        f"# Python jobs: examples/python/moments.py against the scripts a user would write",
        "",
        f"`{' '.join(['bench/python.py'] + sys.argv[1:])}` on {os.cpu_count()} cores ({benchlib.model()}); "
        f"{rows:,} float64 rows ({nbytes / 1e9:.1f} GB) in the page cache, {reps} repetitions, cases "
        "interleaved, medians. Compute: shardrun's makespan, the scripts' own timers (reads and sums "
        "after imports and open). Whole: the command, start to end. RSS: the largest rank's peak.",
        "",
        "| case | compute s | GB/s | whole s | peak RSS per rank MiB | moments.py 2x1 is (compute) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, (compute, whole, rss) in med.items():
        lines.append(f"| {name} | {compute:.3f} | {nbytes / compute / 1e9:.2f} | {whole:.3f} | "
                     f"{rss >> 10} | {compute / py[0]:.2f}x |")
    m4 = med["mpi4py 2 (1 Mi-row blocks)"]
    m4_best = min((n for n in med if n.startswith("mpi4py")), key=lambda n: med[n][0])
    lines += [
        "",
        f"- moments.py at 2 ranks x 1 thread is {m4[0] / py[0]:.2f}x the mpi4py + h5py + numpy script "
        f"as users write it (1 Mi-row blocks) in compute and {m4[1] / py[1]:.2f}x in the whole command "
        f"(target: 1.5x); {med[m4_best][0] / py[0]:.2f}x and {med[m4_best][1] / py[1]:.2f}x the same "
        f"script at its best block size ({m4_best}); "
        f"{med[dask_best][0] / py[0]:.2f}x dask.array at its best chunking ({dask_best}).",
        f"- Threads: 2 ranks x 2 threads {py[0] / med['python 2x2'][0]:.2f}x and 1 rank x 2 threads "
        f"{py[0] / med['python 1x2'][0]:.2f}x the speed of 2 ranks x 1 thread.",
        f"- Fixed cost of a Python shard (empty process, 1 rank x 1 thread, {shards:,} shards): "
        f"{statistics.median(per_shard):.1f} us (target 20 us).",
    ]
    benchlib.write_report(os.path.join(results, "python.md"), lines)


if __name__ == "__main__":
    main()
