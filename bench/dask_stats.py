#!/usr/bin/python3
"""dask_stats FILE.h5:/path WORKERS [CHUNK_MIB] [threads|distributed] — the
dask.array peer of `shardrun run stats`.

Computes count, sum, mean, variance, min, max and NaN count of a 1-D float64
dataset with dask.array (Debian's python3-dask, python3-distributed), in one
dask.compute so each chunk is read once, in chunks of CHUNK_MIB MiB (default
4, like shardrun's shards):
  threads      the threaded scheduler with WORKERS threads over
               da.from_array(h5py dataset), as the dask docs show it
  distributed  a local distributed cluster of WORKERS processes of one thread
               each; each chunk is read by the worker that runs it (an h5py
               dataset does not travel between processes)
Prints one line like the ceiling helpers:
    seconds=<s> bytes=<n> gbps=<x>
The time covers the computation (graph and reads), not the imports or the
cluster's start.
"""
import sys
import time

import dask
import dask.array as da
import h5py
import numpy as np


def read_chunk(path, name, begin, end):
    with h5py.File(path, "r") as f:
        return f[name][begin:end]


def statistics(x):
    nan = da.isnan(x)
    return ((~nan).sum(), da.nansum(x), da.nanmean(x), da.nanvar(x), da.nanmin(x), da.nanmax(x),
            nan.sum())


def main():
    if len(sys.argv) not in (3, 4, 5) or ":" not in sys.argv[1]:
        sys.exit("usage: dask_stats FILE.h5:/path WORKERS [CHUNK_MIB] [threads|distributed]")
    path, name = sys.argv[1].rsplit(":", 1)
    workers = int(sys.argv[2])
    chunk_mib = float(sys.argv[3]) if len(sys.argv) >= 4 else 4
    scheduler = sys.argv[4] if len(sys.argv) == 5 else "threads"
    with h5py.File(path, "r") as f:
        d = f[name]
        size, itemsize, dtype = d.size, d.dtype.itemsize, d.dtype
        rows = max(1, int(chunk_mib * 2**20) // itemsize)
        if scheduler == "threads":
            start = time.perf_counter()
            results = dask.compute(*statistics(da.from_array(d, chunks=rows)),
                                   scheduler="threads", num_workers=workers)
            seconds = time.perf_counter() - start
        elif scheduler == "distributed":
            from distributed import Client, LocalCluster
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                blocks = [da.from_delayed(dask.delayed(read_chunk)(path, name, b, min(b + rows, size)),
                                          shape=(min(b + rows, size) - b,), dtype=dtype)
                          for b in range(0, size, rows)]
                x = da.concatenate(blocks)
                start = time.perf_counter()
                results = client.compute(statistics(x), sync=True)
                seconds = time.perf_counter() - start
        else:
            sys.exit(f"dask_stats: unknown scheduler {scheduler}")
    assert results[0] + results[6] == size
    assert np.isfinite(results[3])
    nbytes = size * itemsize
    print(f"seconds={seconds:.6f} bytes={nbytes} gbps={nbytes / seconds / 1e9:.4f}")


if __name__ == "__main__":
    main()
