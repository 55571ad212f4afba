#include "checkpoint/run_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "shardrun/errors.hpp"

namespace shardrun::checkpoint {
namespace {

struct flock whole_file(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;
  return lock;
}

}  // namespace

RunLock::RunLock(const std::string& checkpoint) {
  const std::string path = checkpoint + ".lock";
  // Not through a symlink someone else may have put there.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0 && errno == ELOOP)
    throw RuntimeError("--checkpoint: " + path + " is a symbolic link; remove it");
  if (fd_ < 0)
    throw RuntimeError("--checkpoint: cannot create " + path + ": " + std::strerror(errno));
  struct flock lock = whole_file(F_WRLCK);
  if (::fcntl(fd_, F_SETLK, &lock) != 0) {
    const int err = errno;
    if (err != EAGAIN && err != EACCES) {  // not held by another: no locks here at all
      ::close(fd_);
      fd_ = -1;
      throw RuntimeError("--checkpoint: cannot lock " + path + ": " + std::strerror(err) +
                         " (the file system may not support POSIX locks, e.g. NFS without "
                         "lockd; put the checkpoint on one that does)");
    }
    const long pid = holder(checkpoint);
    ::close(fd_);
    fd_ = -1;
    throw RuntimeError("--checkpoint: " + checkpoint + " is in use by another run" +
                       (pid ? " (pid " + std::to_string(pid) + ")" : std::string()) +
                       "; one run at a time may write a checkpoint");
  }
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

long RunLock::holder(const std::string& checkpoint) {
  const int fd = ::open((checkpoint + ".lock").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  struct flock lock = whole_file(F_WRLCK);
  const bool asked = ::fcntl(fd, F_GETLK, &lock) == 0;
  ::close(fd);
  return asked && lock.l_type != F_UNLCK ? static_cast<long>(lock.l_pid) : 0;
}

}  // namespace shardrun::checkpoint
