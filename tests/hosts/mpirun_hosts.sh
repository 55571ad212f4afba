#!/bin/sh
# mpirun over emulated hosts on this machine (see fake_ssh.sh):
#   tests/hosts/mpirun_hosts.sh HOSTS RANKS_PER_HOST PROGRAM [ARGS...]
# runs PROGRAM on HOSTS emulated hosts (127.0.0.2, 127.0.0.3, ...), each
# with RANKS_PER_HOST ranks, over TCP on loopback, unbound. Extra mpirun
# options may come in $MPIRUN_HOSTS_OPTIONS.
set -eu
hosts=$1 per_host=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
list="" i=2
while [ "$i" -lt $((hosts + 2)) ]; do
  list="$list${list:+,}127.0.0.$i:$per_host"
  i=$((i + 1))
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# shellcheck disable=SC2086
exec mpirun -n $((hosts * per_host)) --host "$list" --bind-to none \
  --mca plm_rsh_agent "$here/fake_ssh.sh" --mca plm_rsh_no_tree_spawn 1 \
  --mca oob_tcp_if_include lo --mca btl_tcp_if_include lo \
  ${MPIRUN_HOSTS_OPTIONS:-} "$@"
