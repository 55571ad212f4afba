#!/bin/sh
# Stands in for ssh so that mpirun can start "remote" daemons on emulated
# hosts of this machine: `fake_ssh.sh [ssh options] HOST COMMAND...` runs
# COMMAND in a UTS namespace of its own whose host name is HOST with its dots
# turned to dashes (Open MPI cuts host names at the first dot, and two hosts
# with one short name would share memory they do not have). Traffic stays on
# loopback (127.0.0.x). Needs root (unshare). With FAKE_SSH_PRIVATE=HOST:DIR,
# HOST sees an empty DIR of its own (a tmpfs in a mount namespace), as a node
# without the shared file system would. With FAKE_SSH_UNREACHABLE=HOST, HOST
# cannot be reached (ssh's message, exit 255).
while [ $# -gt 0 ]; do
  case "$1" in
    -*) shift ;;  # ssh options mpirun may pass (-x, -o ...)
    *) break ;;
  esac
done
host=$1
shift
name=$(printf '%s' "$host" | tr . -)
if [ "${FAKE_SSH_UNREACHABLE:-}" = "$host" ]; then
  echo "ssh: connect to host $host port 22: No route to host" >&2
  exit 255
fi
private_dir=${FAKE_SSH_PRIVATE#"$host":}
if [ -n "${FAKE_SSH_PRIVATE:-}" ] && [ "$private_dir" != "$FAKE_SSH_PRIVATE" ]; then
  exec unshare --uts --mount --propagation private /bin/sh -c \
    "hostname 'h$name' && mount -t tmpfs tmpfs '$private_dir' && exec $*"
fi
exec unshare --uts /bin/sh -c "hostname 'h$name' && exec $*"
