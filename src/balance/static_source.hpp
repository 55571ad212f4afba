// The static strategy: each rank runs its own contiguous block of the plan.
#pragma once

#include "balance/shard_source.hpp"

namespace shardrun {

// Nothing moves between ranks: a baseline for the dynamic strategies.
class StaticSource : public ShardSource {
 public:
  explicit StaticSource(ShardRange block) : left_(block) {}
  std::optional<ShardRange> next(std::uint64_t max, bool idle) override;

 private:
  ShardRange left_;
};

}  // namespace shardrun
