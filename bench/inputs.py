#!/usr/bin/python3
"""The inputs study (docs/inputs.md), on data in the page cache:

1. `stats` over a 3-D float32 netCDF-4 variable tas(time, lat, lon),
   2000 x 360 x 720 (2.07 GB, contiguous), per element (mean over time of
   every grid cell) and --all, against the page-cache read ceiling
   (bench/read_ceiling, same bytes, same threads) and against xarray + dask
   (Debian's python3-xarray, python3-dask) computing the same figures
   (count, sum, mean, var, min, max) over the same file with the threaded
   scheduler, at several chunk sizes along time (the best is reported).
2. The cost of many files: `stats` over 1,000 files of 4 MiB against one
   file of the same 4 GiB (65,536 x 8 float64 rows a file).

Every case runs --reps times (default 5), interleaved; medians reported.
Results: bench/results/inputs.{csv,md}. Run on an idle machine:
    /usr/bin/python3 bench/inputs.py
"""
import os
import statistics
import subprocess
import sys
import time

import h5py
import netCDF4
import numpy as np

import benchlib

BUILD = os.path.join(benchlib.ROOT, "build")
SHARDRUN = os.path.join(BUILD, "shardrun")
CEILING = os.path.join(BUILD, "bench", "read_ceiling")
WORK = os.path.join(benchlib.ROOT, "bench", "work", "inputs")
THREADS = os.cpu_count()

XARRAY = r'''
import sys, time
import dask, xarray as xr
path, chunk, every = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "all"
start = time.perf_counter()
tas = xr.open_dataset(path, chunks={"time": chunk})["tas"]
dims = None if every else "time"
out = dask.compute(tas.count(dims), tas.sum(dims), tas.mean(dims), tas.var(dims),
                   tas.min(dims), tas.max(dims), scheduler="threads", num_workers=%d)
print(f"seconds={time.perf_counter() - start:.6f}")
''' % THREADS


def seconds_of(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, env=benchlib.ENV)
    if r.returncode != 0:
        sys.exit(f"{cmd} failed:\n{r.stdout}\n{r.stderr}")
    for word in (r.stdout + r.stderr).split():
        if word.startswith("seconds="):
            return float(word.split("=")[1])
    sys.exit(f"{cmd}: no seconds= in its output")


def timed(cmd):
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=benchlib.ENV)
    if r.returncode != 0:
        sys.exit(f"{cmd} failed:\n{r.stdout}\n{r.stderr}")
    return time.perf_counter() - start


def make_climate(path, shape):
    if os.path.exists(path):
        return
    rng = np.random.default_rng(3)
    nc = netCDF4.Dataset(path + ".tmp", "w")
    for name, n in zip(("time", "lat", "lon"), shape):
        nc.createDimension(name, n)
    v = nc.createVariable("tas", "f4", ("time", "lat", "lon"), contiguous=True, fill_value=-999.0)
    v.set_auto_mask(False)
    for t in range(0, shape[0], 50):
        n = min(50, shape[0] - t)
        v[t:t + n] = (280 + 10 * rng.standard_normal((n,) + shape[1:], dtype=np.float32))
    nc.close()
    os.rename(path + ".tmp", path)


def make_files(directory, one, files, rows):
    if os.path.exists(one):
        return
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(4)
    with h5py.File(one + ".tmp", "w") as big:
        whole = big.create_dataset("x", shape=(files * rows, 8), dtype="f8")
        for i in range(files):
            part = rng.standard_normal((rows, 8))
            whole[i * rows:(i + 1) * rows] = part
            with h5py.File(os.path.join(directory, f"part{i:04d}.h5"), "w") as f:
                f.create_dataset("x", data=part)
    os.rename(one + ".tmp", one)


def warm(paths):
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


def main():
    args = benchlib.parse_args(__doc__)
    reps = args.reps or (1 if args.quick else 5)
    shape = (100, 90, 180) if args.quick else (2000, 360, 720)
    files, rows = (20, 4096) if args.quick else (1000, 65536)
    os.makedirs(WORK, exist_ok=True)
    climate = os.path.join(WORK, "climate%s.nc" % ("_quick" if args.quick else ""))
    parts = os.path.join(WORK, "parts%s" % ("_quick" if args.quick else ""))
    one = os.path.join(WORK, "one%s.h5" % ("_quick" if args.quick else ""))
    make_climate(climate, shape)
    make_files(parts, one, files, rows)
    out = os.path.join(WORK, "out.h5")
    tas_bytes = int(np.prod(shape)) * 4
    file_bytes = files * rows * 8 * 8

    chunks = [16, 64, 256] if not args.quick else [16, 64]
    cases = {
        "ceiling": (tas_bytes, lambda: seconds_of([CEILING, climate + ":/tas", str(THREADS)])),
        "shardrun per element": (tas_bytes, lambda: timed(
            [SHARDRUN, "run", "stats", "--input", climate + ":/tas", "--output", out])),
        "shardrun --all": (tas_bytes, lambda: timed(
            [SHARDRUN, "run", "stats", "--input", climate + ":/tas", "--all", "--output", out])),
        "shardrun one file": (file_bytes, lambda: timed(
            [SHARDRUN, "run", "stats", "--input", one + ":/x", "--output", out])),
        "shardrun %d files" % files: (file_bytes, lambda: timed(
            [SHARDRUN, "run", "stats", "--input", parts + ":/x", "--output", out])),
    }
    for c in chunks:
        for every in ("per element", "all"):
            cases[f"xarray+dask {every} chunks time={c}"] = (tas_bytes, lambda c=c, e=every: seconds_of(
                ["/usr/bin/python3", "-c", XARRAY, climate, str(c), "all" if e == "all" else "cell"]))

    warm([climate, one] + [os.path.join(parts, p) for p in os.listdir(parts)])
    times = {name: [] for name in cases}
    for rep in range(reps):
        for name, (_, fn) in cases.items():
            times[name].append(fn())
            print(f"rep {rep} {name}: {times[name][-1]:.3f} s", flush=True)

    rows_out = []
    for name, (nbytes, _) in cases.items():
        for rep, s in enumerate(times[name]):
            rows_out.append([name, rep, nbytes, f"{s:.4f}", f"{nbytes / s / 1e9:.3f}"])
    rdir = benchlib.results_dir(args.quick)
    benchlib.write_csv(os.path.join(rdir, "inputs.csv"),
                       ["case", "rep", "bytes", "seconds", "gbps"], rows_out)
    med = {name: statistics.median(t) for name, t in times.items()}
    gb = {name: cases[name][0] / med[name] / 1e9 for name in cases}

    def best_dask(every):
        names = [n for n in cases if n.startswith(f"xarray+dask {every} ")]
        return min(names, key=lambda n: med[n])
    lines = [
        "# Inputs study: N-D stats and many files",
        "",
        f"`/usr/bin/python3 bench/inputs.py{' --quick' if args.quick else ''}` on "
        f"{benchlib.model()}, {THREADS} cores; medians of {reps}, data in the page cache. "
        "shardrun: one rank, threads = cores; the ceiling and dask use as many threads. "
        "Whole commands for shardrun (start-up, writing the result); xarray's time "
        "covers open_dataset and the computation, not the imports.",
        "",
        f"## stats over tas{shape} float32 ({tas_bytes / 1e9:.2f} GB, netCDF-4, contiguous)",
        "",
        "| case | median s | GB/s | of the ceiling |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in cases:
        if cases[name][0] == tas_bytes:
            lines.append(f"| {name} | {med[name]:.3f} | {gb[name]:.2f} | "
                         f"{gb[name] / gb['ceiling']:.2f} |")
    for every, ours in (("per element", "shardrun per element"), ("all", "shardrun --all")):
        b = best_dask(every)
        lines.append("")
        lines.append(f"- {every}: shardrun is {med[b] / med[ours]:.2f}x xarray+dask's best ({b}).")
    lines += [
        "",
        f"## The cost of many files: {files} files of {rows * 64 / 2**20:g} MiB against one file "
        f"({file_bytes / 2**30:.2f} GiB)",
        "",
        "| case | median s | GB/s |",
        "| --- | ---: | ---: |",
    ]
    for name in ("shardrun one file", "shardrun %d files" % files):
        lines.append(f"| {name} | {med[name]:.3f} | {gb[name]:.2f} |")
    lines += ["", f"- {files} files take {med['shardrun %d files' % files] / med['shardrun one file']:.2f}x "
              "the time of one file."]
    benchlib.write_report(os.path.join(rdir, "inputs.md"), lines)


if __name__ == "__main__":
    main()
