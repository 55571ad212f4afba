# Scales every value into [0, 1] by a range given with --arg (a map job):
# /z holds (x - min) / (max - min), clipped, and /clipped counts the values
# of each row that fell outside the range.
#   mpirun -n 4 shardrun run python --script normalize.py --input data.h5:/x \
#       --arg min=-4 --arg max=4 --output z.h5
import numpy as np

lo, hi = 0.0, 1.0


def setup(args):
    global lo, hi
    lo, hi = float(args.get("min", lo)), float(args.get("max", hi))
    if not hi > lo:
        raise ValueError(f"--arg max ({hi}) must be above --arg min ({lo})")


def outputs(input):
    # One row out per row in: z has the input row's shape.
    return {"z": ("float32", input.row_shape), "clipped": ("uint32", ())}


def process(block, shard):
    z = (block - lo) / (hi - lo)
    outside = (z < 0) | (z > 1)
    return {
        "z": np.clip(z, 0, 1).astype(np.float32),
        "clipped": outside.reshape(len(block), -1).sum(axis=1, dtype=np.uint32),
    }
