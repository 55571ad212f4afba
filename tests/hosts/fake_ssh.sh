#!/bin/sh
# Stands in for ssh so that mpirun can start "remote" daemons on emulated
# hosts of this machine: `fake_ssh.sh [ssh options] HOST COMMAND...` runs
# COMMAND in a UTS namespace of its own whose host name is HOST with its dots
# turned to dashes (Open MPI cuts host names at the first dot, and two hosts
# with one short name would share memory they do not have). Traffic stays on
# loopback (127.0.0.x). Needs root (unshare).
while [ $# -gt 0 ]; do
  case "$1" in
    -*) shift ;;  # ssh options mpirun may pass (-x, -o ...)
    *) break ;;
  esac
done
host=$1
shift
name=$(printf '%s' "$host" | tr . -)
exec unshare --uts /bin/sh -c "hostname 'h$name' && exec $*"
