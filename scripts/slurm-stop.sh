#!/usr/bin/env bash
# Stops what scripts/slurm-start.sh started: cancels every job (slurmd leaves
# running jobs alone when it stops), then slurmd, slurmctld and munged.
# --nodes: the multi-node cluster of slurm-start.sh --nodes N instead (its
# daemons only; munged stays).
set -uo pipefail
if [ "${1:-}" = "--nodes" ]; then
  dir=${SHARDRUN_SLURM_DIR:-/var/tmp/shardrun-slurm-nodes}
  export SLURM_CONF=$dir/slurm.conf
  scancel --user=root --full >/dev/null 2>&1 || true
  for _ in $(seq 50); do
    [ -z "$(squeue -h 2>/dev/null)" ] && break
    sleep 0.2
  done
  pids=$(cat "$dir"/slurmd-*.pid "$dir"/slurmctld.pid 2>/dev/null)
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill $pids 2>/dev/null
  for _ in $(seq 50); do
    alive=0
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  echo "slurm-stop: stopped the nodes of $dir"
  exit 0
fi
scancel --user=root --full >/dev/null 2>&1 || true
for _ in $(seq 50); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  sleep 0.2
done
for daemon in slurmd slurmctld munged; do
  pkill -x "$daemon" || true
done
for _ in $(seq 50); do
  pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || pgrep -x munged >/dev/null || break
  sleep 0.1
done
echo "slurm-stop: stopped"
