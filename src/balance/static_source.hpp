// The static strategy: each rank runs its own contiguous block of the plan.
#pragma once

#include "core/shard_source.hpp"

namespace shardrun::balance {

// Nothing moves between ranks: a baseline for the dynamic strategies.
class StaticSource : public core::ShardSource {
 public:
  explicit StaticSource(core::ShardRange block) : left_(block) {}
  std::optional<core::ShardRange> next(std::uint64_t max, bool idle) override;

 private:
  core::ShardRange left_;
};

}  // namespace shardrun::balance
