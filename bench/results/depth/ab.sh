#!/bin/bash
# A/B: old (65b14ba) vs new binary, interleaved, 5 reps; prints efficiency or shards/s
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PMIX_MCA_psec=^munge
cd "$(dirname "$0")/../../.." && out=$(mktemp -d)
for rep in 1 2 3 4 5; do
  for c in "uniform" "pareto:1.5" "sorted-desc"; do
    for b in old new; do
      bin=${OLD:-/tmp/old/build/shardrun}; [ $b = new ] && bin=${NEW:-build/shardrun}
      e=$(mpirun -n 2 --bind-to none $bin run synthetic --items 100000 --mean-us 50 --cost $c --threads 1 --quiet --output $out/ab.h5 2>&1 | grep -o "efficiency [0-9.]*" | cut -d' ' -f2)
      echo "$c $b $e"
    done
  done
  for s in static counter steal; do
    for b in old new; do
      bin=${OLD:-/tmp/old/build/shardrun}; [ $b = new ] && bin=${NEW:-build/shardrun}
      r=$(mpirun -n 2 --bind-to none $bin run synthetic --items 200000 --shards 200000 --mean-us 0 --balance $s --threads 1 --quiet --output $out/ab.h5 2>&1 | grep -o "makespan [0-9.]*" | cut -d' ' -f2)
      echo "empty-$s $b $r"
    done
  done
done
