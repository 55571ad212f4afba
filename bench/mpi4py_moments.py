#!/usr/bin/python3
"""mpirun -n R bench/mpi4py_moments.py FILE.h5:/path [BLOCK_ROWS] — the script a
scientist writes without shardrun: the figures of examples/python/moments.py
(count, mean and root mean square of each element of a row) with mpi4py +
h5py + numpy (Debian's python3-mpi4py, python3-h5py, python3-numpy).

Each rank takes a static contiguous block of rows, reads it BLOCK_ROWS
(default 1 Mi) at a time with read_direct into one reused buffer, sums the
values and their squares in float64, and the sums meet at rank 0 with
comm.reduce. No balance, no checkpoint; its sums depend on the rank count.
Rank 0 prints one line like the ceiling helpers:
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
        sys.exit("usage: mpi4py_moments.py FILE.h5:/path [BLOCK_ROWS]")
    path, name = sys.argv[1].rsplit(":", 1)
    block_rows = int(sys.argv[2]) if len(sys.argv) == 3 else 1 << 20
    comm = MPI.COMM_WORLD
    with h5py.File(path, "r") as f:
        d = f[name]
        rows, row_shape = d.shape[0], d.shape[1:]
        comm.Barrier()
        start = time.perf_counter()
        first = rows * comm.rank // comm.size
        last = rows * (comm.rank + 1) // comm.size
        buffer = np.empty((block_rows,) + row_shape, dtype=d.dtype)
        s = np.zeros(row_shape)
        q = np.zeros(row_shape)
        for begin in range(first, last, block_rows):
            n = min(block_rows, last - begin)
            block = buffer[:n]
            d.read_direct(block, np.s_[begin:begin + n])
            s += block.sum(axis=0, dtype=np.float64)
            q += np.square(block, dtype=np.float64).sum(axis=0)
        s = comm.reduce(s, op=MPI.SUM, root=0)
        q = comm.reduce(q, op=MPI.SUM, root=0)
        seconds = time.perf_counter() - start
        seconds = comm.reduce(seconds, op=MPI.MAX, root=0)
        nbytes = d.size * d.dtype.itemsize
    if comm.rank == 0:
        mean, rms = s / rows, np.sqrt(q / rows)
        assert np.all(np.isfinite(mean)) and np.all(np.isfinite(rms))
        print(f"seconds={seconds:.6f} bytes={nbytes} gbps={nbytes / seconds / 1e9:.4f}")


if __name__ == "__main__":
    main()
