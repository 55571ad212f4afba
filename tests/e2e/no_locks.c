/* LD_PRELOAD shim for the tests: a file system without POSIX locks (NFS
 * without lockd, some FUSE file systems). Every lock request fails with
 * ENOLCK; any other fcntl goes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

static int forward(const char* name, int fd, int cmd, void* arg) {
  int (*real)(int, int, ...) = (int (*)(int, int, ...))dlsym(RTLD_NEXT, name);
  return real(fd, cmd, arg);
}

static int shim(const char* name, int fd, int cmd, va_list args) {
  void* arg = va_arg(args, void*);
  if (cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK || cmd == F_OFD_SETLK ||
      cmd == F_OFD_SETLKW || cmd == F_OFD_GETLK) {
    errno = ENOLCK;
    return -1;
  }
  return forward(name, fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  int rc = shim("fcntl", fd, cmd, args);
  va_end(args);
  return rc;
}

int fcntl64(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  int rc = shim("fcntl64", fd, cmd, args);
  va_end(args);
  return rc;
}
