#!/usr/bin/env bash
# Stops what scripts/slurm-start.sh started: cancels every job (slurmd leaves
# running jobs alone when it stops), then slurmd, slurmctld and munged.
set -uo pipefail
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
