#!/usr/bin/python3
"""dask_stats FILE.h5:/path THREADS — the dask.array peer of `shardrun run stats`.

Computes count, sum, mean, variance, min, max and NaN count of a 1-D float64
dataset with dask.array over h5py (Debian's python3-dask, python3-h5py), on
the threaded scheduler with THREADS workers, in one dask.compute so each
chunk is read once. Prints one line like the ceiling helpers:
    seconds=<s> bytes=<n> gbps=<x>
The time covers the computation (graph and reads), not the imports.
"""
import sys
import time

import dask
import dask.array as da
import h5py


def main():
    if len(sys.argv) != 3 or ":" not in sys.argv[1]:
        sys.exit("usage: dask_stats FILE.h5:/path THREADS")
    path, name = sys.argv[1].rsplit(":", 1)
    threads = int(sys.argv[2])
    with h5py.File(path, "r") as f:
        d = f[name]
        start = time.perf_counter()
        x = da.from_array(d, chunks=4 * 2**20 // d.dtype.itemsize)  # 4 MiB, like shardrun's shards
        nan = da.isnan(x)
        results = dask.compute((~nan).sum(), da.nansum(x), da.nanmean(x), da.nanvar(x),
                               da.nanmin(x), da.nanmax(x), nan.sum(),
                               scheduler="threads", num_workers=threads)
        seconds = time.perf_counter() - start
        nbytes = d.size * d.dtype.itemsize
    assert results[0] + results[6] == d.size
    print(f"seconds={seconds:.6f} bytes={nbytes} gbps={nbytes / seconds / 1e9:.4f}")


if __name__ == "__main__":
    main()
