// The static strategy: rank r runs the r-th contiguous block of the plan.
#pragma once

#include "balance/shard_source.hpp"

namespace shardrun {

// Blocks of floor/ceil(S/P) shards in rank order; nothing moves between ranks.
class StaticSource : public ShardSource {
 public:
  StaticSource(std::uint64_t shard_count, int rank, int ranks);
  std::optional<ShardRange> next(std::uint64_t max, bool idle) override;

  // Rank r's block of a plan of `shard_count` shards over `ranks` ranks.
  static ShardRange block(std::uint64_t shard_count, int rank, int ranks);

 private:
  ShardRange left_;
};

}  // namespace shardrun
