// The shard plan: how the domain's items are cut into shards 0..S-1.
#pragma once

#include <cstdint>

#include "shardrun/shard.hpp"

namespace shardrun::core {

// What the user asked for; at most one of the two is non-zero.
struct PlanRequest {
  std::uint64_t shards = 0;       // --shards N
  std::uint64_t shard_items = 0;  // --shard-rows R
};

// A pure function of (items, request, default shard size): every rank and every
// rerun at any scale computes the same plan. Shards are contiguous, non-empty,
// in item order, and cover the domain exactly. Immutable; thread-safe.
class ShardPlan {
 public:
  // Target bytes of one shard when the user does not choose: large inputs get
  // thousands of shards, small ones a few large shards, never tiny ones.
  static constexpr std::uint64_t kTargetShardBytes = 4ull << 20;
  // Wide rows (an N-D grid) come at least kMinWideRows to a shard, up to
  // kMaxWideShardBytes: a per-element partial is a row's size, so a shard of
  // a few rows would cost more in partials than in data.
  static constexpr std::uint64_t kMinWideRows = 64;
  static constexpr std::uint64_t kMaxWideShardBytes = 256ull << 20;

  // Throws UsageError for --shards 0 or --shard-rows 0 and for an empty domain.
  // More shards than items are clamped to one item per shard.
  ShardPlan(std::uint64_t items, const PlanRequest& request, std::uint64_t default_shard_items);

  // The default shard size of a dataset whose rows take row_bytes each.
  static std::uint64_t shard_items_for_bytes(std::uint64_t row_bytes);

  std::uint64_t items() const { return items_; }
  std::uint64_t count() const { return count_; }
  Shard shard(std::uint64_t id) const;

 private:
  std::uint64_t items_;
  std::uint64_t count_;
  std::uint64_t fixed_items_;  // items per shard when fixed; 0 when split evenly by count
};

}  // namespace shardrun::core
