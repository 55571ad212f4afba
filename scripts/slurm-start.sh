#!/usr/bin/env bash
# Starts a single-node Slurm on this machine, for tests and for trying the
# sbatch templates: munged, slurmctld and slurmd on 127.0.0.1, no systemd, no
# cgroups. Run as root on Debian 12; installs slurm-wlm and munge if missing.
# Writes /etc/slurm/slurm.conf (refusing to replace one it did not write) and
# keeps state and logs in $SHARDRUN_SLURM_DIR (default /var/tmp/shardrun-slurm).
# Returns once the node is idle. scripts/slurm-stop.sh stops it all.
#
#   scripts/slurm-start.sh --nodes N   (N >= 2)
# starts instead a cluster of N nodes n1..nN of one CPU each, all on this
# machine: one slurmd per node (slurmd -N), each in a mount namespace with a
# /tmp of its own (what Slurm's PMIx plugin and Open MPI keep there would
# collide), on ports of their own, with its config in
# $SHARDRUN_SLURM_DIR (default /var/tmp/shardrun-slurm-nodes)/slurm.conf:
# point SLURM_CONF there. Ranks on two nodes talk TCP, as across a real
# cluster's nodes. scripts/slurm-stop.sh --nodes stops it.
set -euo pipefail

nodes=1
if [ "${1:-}" = "--nodes" ]; then
  nodes=${2:?--nodes N}
fi
if [ "$nodes" -gt 1 ]; then
  dir=${SHARDRUN_SLURM_DIR:-/var/tmp/shardrun-slurm-nodes}
  conf=$dir/slurm.conf
else
  dir=${SHARDRUN_SLURM_DIR:-/var/tmp/shardrun-slurm}
  conf=/etc/slurm/slurm.conf
fi
marker="# written by shardrun scripts/slurm-start.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "slurm-start: run as root" >&2
  exit 1
fi
missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "slurm-start: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -f "$conf" ] && ! grep -qF "$marker" "$conf"; then
  echo "slurm-start: $conf exists and was not written by this script; not touching it" >&2
  exit 1
fi

# munge: the key the package made, the daemon as the munge user.
if ! munge -n </dev/null >/dev/null 2>&1; then
  install -d -o munge -g munge -m 0755 /run/munge
  [ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey --create
  runuser -u munge -- /usr/sbin/munged
fi
for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null

mkdir -p "$dir/spool" "$dir/state" "$dir/log"
host=$(hostname -s)
# What both cluster shapes share: munge, root, no cgroups, requeue allowed.
# Credentials expire after 10 s, so a requeued job starts again after ~11 s.
common_conf() {
  cat <<CONF
$marker
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
AuthInfo=cred_expire=10
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
JobRequeue=1
ReturnToService=2
SlurmctldPidFile=$dir/slurmctld.pid
StateSaveLocation=$dir/state
SlurmctldLogFile=$dir/log/slurmctld.log
CONF
}

if [ "$nodes" -gt 1 ]; then
  names=""
  {
    common_conf
    cat <<CONF
ClusterName=shardrun-nodes
SlurmctldPort=16817
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmdSpoolDir=$dir/spool/%n
SlurmdLogFile=$dir/log/slurmd-%n.log
CONF
    for i in $(seq "$nodes"); do
      echo "NodeName=n$i NodeHostname=$host NodeAddr=127.0.0.1 Port=$((17000 + i)) CPUs=1 State=UNKNOWN"
      names+="${names:+,}n$i"
      mkdir -p "$dir/spool/n$i"
    done
    echo "PartitionName=debug Nodes=$names Default=YES MaxTime=INFINITE State=UP"
  } >"$conf"
  export SLURM_CONF=$conf
  slurmctld -c -f "$conf" >"$dir/log/slurmctld.out" 2>&1
  # Each node's /tmp is its own, but this checkout (the binary, the
  # templates) stays visible where it is, even when it lives under /tmp.
  repo=$(cd "$(dirname "$0")/.." && pwd)
  for i in $(seq "$nodes"); do
    keep=$dir/keep-n$i
    mkdir -p "$keep"
    unshare --mount --propagation private /bin/sh -c "
      mount --bind '$repo' '$keep' && mount -t tmpfs tmpfs /tmp &&
      mkdir -p '$repo' && mount --move '$keep' '$repo' &&
      exec slurmd -f '$conf' -N n$i" >"$dir/log/slurmd-n$i.out" 2>&1
  done
  for _ in $(seq 100); do
    idle=$(sinfo -h -t idle -o %D 2>/dev/null || true)
    if [ "${idle:-0}" = "$nodes" ]; then
      echo "slurm-start: $nodes nodes ($names) idle; export SLURM_CONF=$conf (logs $dir/log)"
      exit 0
    fi
    sleep 0.2
  done
  echo "slurm-start: the $nodes nodes did not become idle; see $dir/log" >&2
  exit 1
fi
node=$host
# The node as slurmd sees it (CPUs, sockets, memory), on the loopback address.
hardware=$(slurmd -C | head -1 | sed "s/^NodeName=[^ ]*/NodeName=$node/")
{
  common_conf
  cat <<CONF
ClusterName=shardrun
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool
SlurmdLogFile=$dir/log/slurmd.log
$hardware NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
} >"$conf"

pgrep -x slurmctld >/dev/null || slurmctld -c >"$dir/log/slurmctld.out" 2>&1
pgrep -x slurmd >/dev/null || slurmd >"$dir/log/slurmd.out" 2>&1
for _ in $(seq 100); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
  case "$state" in
    idle | mixed | allocated) echo "slurm-start: node $node is $state (config $conf, logs $dir/log)"; exit 0 ;;
  esac
  sleep 0.2
done
echo "slurm-start: node $node did not become idle (state '${state:-none}'); see $dir/log" >&2
exit 1
