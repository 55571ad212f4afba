// One writer per checkpoint: an fcntl lock on "<checkpoint>.lock".
#pragma once

#include <string>

namespace shardrun::checkpoint {

// Held by rank 0 from the start of a checkpointed run to its end. The kernel
// drops it when the process dies, however it dies, so a killed run never
// leaves a stale lock. Move-only.
class RunLock {
 public:
  // Throws RuntimeError naming the checkpoint (and the holder's pid) when
  // another live process holds it.
  explicit RunLock(const std::string& checkpoint);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  // The pid of a live process holding the lock of `checkpoint`, or 0.
  static long holder(const std::string& checkpoint);

 private:
  int fd_ = -1;
};

}  // namespace shardrun::checkpoint
