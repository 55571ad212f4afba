# Estimates pi from random points in the unit square, with no input data:
# the items are 0..N-1 (--items N), each shard's block a range() of them.
#   mpirun -n 4 shardrun run python --script pi.py --items 1000000000 --arg seed=3 --output pi.h5
import numpy as np

seed = 0


def setup(args):
    global seed
    seed = int(args.get("seed", 0))


def process(block, shard):
    # One stream per shard, from (seed, first item): the same points
    # whichever rank or thread runs the shard, and however often.
    rng = np.random.default_rng([seed, block.start])
    inside = 0
    for start in range(0, len(block), 1 << 20):  # bounded memory per shard
        n = min(1 << 20, len(block) - start)
        x, y = rng.random(n), rng.random(n)
        inside += int(np.count_nonzero(x * x + y * y < 1.0))
    return (inside, len(block))


def combine(a, b):
    return (a[0] + b[0], a[1] + b[1])  # exact integers


def finalize(total):
    inside, n = total
    return {"pi": 4.0 * inside / n, "inside": inside, "points": n}
