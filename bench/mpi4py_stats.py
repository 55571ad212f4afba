#!/usr/bin/python3
"""mpirun -n R bench/mpi4py_stats.py FILE.h5:/path [BLOCK_ROWS] — the script a
scientist writes without shardrun for what `shardrun run stats` computes of a
1-D float64 dataset (count, sum, mean, variance, min, max, NaN count), with
mpi4py + h5py + numpy (Debian's python3-mpi4py, python3-h5py, python3-numpy).

Each rank takes a static contiguous block, reads it BLOCK_ROWS (default 1 Mi)
at a time with read_direct into one reused buffer and keeps float64 sums of
the values and their squares, the NaN count, min and max; the figures meet at
rank 0 with comm.reduce. No balance, no checkpoint. Rank 0 prints one line
like the ceiling helpers:
    seconds=<s> bytes=<n> gbps=<x>
The time covers the reads and sums (after the imports and the file's open).
"""
import sys
import time

import h5py
import numpy as np
from mpi4py import MPI


def main():
    if len(sys.argv) not in (2, 3) or ":" not in sys.argv[1]:
        sys.exit("usage: mpi4py_stats.py FILE.h5:/path [BLOCK_ROWS]")
    path, name = sys.argv[1].rsplit(":", 1)
    block_rows = int(sys.argv[2]) if len(sys.argv) == 3 else 1 << 20
    comm = MPI.COMM_WORLD
    with h5py.File(path, "r") as f:
        d = f[name]
        rows = d.shape[0]
        comm.Barrier()
        start = time.perf_counter()
        first = rows * comm.rank // comm.size
        last = rows * (comm.rank + 1) // comm.size
        buffer = np.empty(block_rows, dtype=d.dtype)
        count = nans = 0
        s = q = 0.0
        lo, hi = np.inf, -np.inf
        for begin in range(first, last, block_rows):
            n = min(block_rows, last - begin)
            block = buffer[:n]
            d.read_direct(block, np.s_[begin:begin + n])
            nan = np.isnan(block)
            k = int(nan.sum())
            values = block[~nan] if k else block
            nans += k
            count += values.size
            s += float(values.sum())
            q += float(np.dot(values, values))
            if values.size:
                lo, hi = min(lo, float(values.min())), max(hi, float(values.max()))
        count, nans = comm.reduce(count, op=MPI.SUM), comm.reduce(nans, op=MPI.SUM)
        s, q = comm.reduce(s, op=MPI.SUM), comm.reduce(q, op=MPI.SUM)
        lo, hi = comm.reduce(lo, op=MPI.MIN), comm.reduce(hi, op=MPI.MAX)
        seconds = comm.reduce(time.perf_counter() - start, op=MPI.MAX, root=0)
        nbytes = d.size * d.dtype.itemsize
    if comm.rank == 0:
        mean = s / count
        var = q / count - mean * mean
        assert count + nans == rows and np.isfinite(var) and lo <= mean <= hi
        print(f"seconds={seconds:.6f} bytes={nbytes} gbps={nbytes / seconds / 1e9:.4f}")


if __name__ == "__main__":
    main()
