// How many shards a rank keeps in flight per worker thread.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace shardrun::core {

// Enough queued work that the main thread's round trip (a wake-up, the
// source's next(), one-sided operations that over TCP take tens of
// microseconds) never leaves a worker waiting; no more than that, since a
// queued shard can no longer be stolen and a stop skips it. The depth follows
// a running estimate of shard durations: two shards a thread for shards of
// half a millisecond and more (the depth of old), up to kMax for near-empty
// ones. The estimate rises at once to a longer shard and falls slowly, so
// where costs jump (empty rows, then heavy ones) at most the kMax shards
// queued before the first long one finished are committed to this rank.
class QueueDepth {
 public:
  static constexpr double kQueuedSeconds = 1e-3;  // of work queued per thread
  static constexpr std::uint64_t kMin = 2;
  static constexpr std::uint64_t kMax = 64;

  void observe(double shard_seconds) {
    const double s = std::max(shard_seconds, 0.0);
    mean_s_ = observed_ && s < mean_s_ ? mean_s_ + (s - mean_s_) / 8 : s;
    observed_ = true;
  }
  std::uint64_t per_thread() const {
    if (!observed_) return kMin;
    if (mean_s_ * static_cast<double>(kMax) <= kQueuedSeconds) return kMax;
    const auto depth = static_cast<std::uint64_t>(std::ceil(kQueuedSeconds / mean_s_));
    return std::clamp(depth, kMin, kMax);
  }

 private:
  double mean_s_ = 0;
  bool observed_ = false;
};

}  // namespace shardrun::core
