#!/usr/bin/env bash
# The main job on a built-in default: install what is missing, build, generate
# a few GiB of normal float64 data and summarise it with `stats` on 2 ranks.
#   scripts/demo.sh [ROWS]     (default 400000000 rows = 3.2 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-400000000}
scripts/install-deps.sh
scripts/build.sh -DSHARDRUN_BUILD_TESTS=OFF
. scripts/mpi-env.sh
mkdir -p demo
data=demo/data.h5
if [ ! -f "$data" ] || ! h5dump -H "$data" 2>/dev/null | grep -q "( $rows )"; then
  mpirun -n 2 --oversubscribe build/shardrun gen --output "$data:/x" --rows "$rows" \
    --dist normal --seed 7 --force
fi
mpirun -n 2 --oversubscribe build/shardrun run stats --input "$data:/x" --output demo/stats.h5
echo "demo: results in demo/stats.h5 (h5dump demo/stats.h5, or h5py)"
