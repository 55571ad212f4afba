#include "core/shard_plan.hpp"

#include <algorithm>

#include "shardrun/errors.hpp"
#include "shardrun/int128.hpp"

namespace shardrun::core {

ShardPlan::ShardPlan(std::uint64_t items, const PlanRequest& request,
                     std::uint64_t default_shard_items)
    : items_(items), count_(0), fixed_items_(0) {
  if (items == 0) throw UsageError("the domain is empty: nothing to shard");
  if (request.shards > 0 && request.shard_items > 0)
    throw UsageError("--shards and --shard-rows exclude each other; give one");
  if (request.shards > 0) {
    count_ = std::min(request.shards, items);  // clamp: at least one item per shard
  } else {
    fixed_items_ = request.shard_items > 0 ? request.shard_items
                                           : std::max<std::uint64_t>(default_shard_items, 1);
    fixed_items_ = std::min(fixed_items_, items);  // a shard larger than the domain is all of it
    count_ = items / fixed_items_ + (items % fixed_items_ != 0);  // no overflow near 2^64
  }
}

std::uint64_t ShardPlan::shard_items_for_bytes(std::uint64_t row_bytes) {
  const std::uint64_t bytes = std::max<std::uint64_t>(row_bytes, 1);
  const std::uint64_t wide = std::min(kMinWideRows, kMaxWideShardBytes / bytes);
  return std::max<std::uint64_t>({1, kTargetShardBytes / bytes, wide});
}

Shard ShardPlan::shard(std::uint64_t id) const {
  if (fixed_items_ > 0) {
    const std::uint64_t begin = id * fixed_items_;
    return {id, begin, begin + std::min(fixed_items_, items_ - begin)};
  }
  // Even split by count: shard i starts at floor(i * items / count).
  auto start = [&](std::uint64_t i) {
    return static_cast<std::uint64_t>(static_cast<UInt128>(i) * items_ / count_);
  };
  return {id, start(id), start(id + 1)};
}

}  // namespace shardrun::core
