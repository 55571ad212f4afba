# Count, mean and root mean square of each element of a row, over every row
# of the input: a reduce job.
#   mpirun -n 4 shardrun run python --script moments.py --input data.h5:/x --output m.h5
import numpy as np


def process(block, shard):
    # block: the shard's rows, read-only, in the dataset's dtype. float64
    # sums, so that integer data cannot overflow.
    return (len(block), block.sum(axis=0, dtype=np.float64),
            np.square(block, dtype=np.float64).sum(axis=0))


def combine(a, b):
    # Associative: shardrun combines in a fixed tree over shard ids, so the
    # result is the same bits at any rank and thread count.
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def finalize(total):
    n, s, q = total
    return {"count": n, "mean": s / n, "rms": np.sqrt(q / n)}
