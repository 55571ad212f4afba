#include "core/shard_plan.hpp"

#include <gtest/gtest.h>

#include "shardrun/errors.hpp"
#include "shardrun/int128.hpp"

namespace shardrun::core {
namespace {

// Shards must be contiguous, non-empty, in order, with dense ids, covering [0, items).
void expect_exact_cover(const ShardPlan& plan) {
  std::uint64_t next = 0;
  for (std::uint64_t id = 0; id < plan.count(); ++id) {
    const Shard s = plan.shard(id);
    ASSERT_EQ(s.id, id);
    ASSERT_EQ(s.begin, next);
    ASSERT_GT(s.end, s.begin) << "empty shard " << id;
    next = s.end;
  }
  EXPECT_EQ(next, plan.items());
}

TEST(ShardPlan, DefaultFollowsTheShardByteTarget) {
  const std::uint64_t rows_per_shard = ShardPlan::shard_items_for_bytes(8);
  EXPECT_EQ(rows_per_shard, ShardPlan::kTargetShardBytes / 8);
  // 4.5 GiB of float64: about a thousand shards.
  const ShardPlan big(600'000'000, {}, rows_per_shard);
  EXPECT_EQ(big.count(), (600'000'000 + rows_per_shard - 1) / rows_per_shard);
  EXPECT_GT(big.count(), 1000u);
  expect_exact_cover(big);
  // A small input is one shard, not thousands of tiny ones.
  const ShardPlan small(1000, {}, rows_per_shard);
  EXPECT_EQ(small.count(), 1u);
  expect_exact_cover(small);
}

TEST(ShardPlan, WideRowsComeManyToAShardWithinABound) {
  EXPECT_EQ(ShardPlan::shard_items_for_bytes(8), ShardPlan::kTargetShardBytes / 8);
  EXPECT_EQ(ShardPlan::shard_items_for_bytes(1 << 20), ShardPlan::kMinWideRows);  // 64 MiB
  EXPECT_EQ(ShardPlan::shard_items_for_bytes(16 << 20), 16u);                     // 256 MiB
  EXPECT_EQ(ShardPlan::shard_items_for_bytes(ShardPlan::kMaxWideShardBytes * 3), 1u);
}

TEST(ShardPlan, ShardsSplitEvenly) {
  const ShardPlan plan(10, {.shards = 3}, 1);
  EXPECT_EQ(plan.count(), 3u);
  expect_exact_cover(plan);
  EXPECT_EQ(plan.shard(0).items(), 3u);
  EXPECT_EQ(plan.shard(2).items(), 4u);
}

TEST(ShardPlan, MoreShardsThanItemsClampToOneItemEach) {
  const ShardPlan plan(5, {.shards = 1000}, 1);
  EXPECT_EQ(plan.count(), 5u);
  expect_exact_cover(plan);
}

TEST(ShardPlan, ShardRowsFixTheSizeAndTheLastShardTakesTheRest) {
  const ShardPlan plan(10, {.shard_items = 4}, 1);
  EXPECT_EQ(plan.count(), 3u);
  EXPECT_EQ(plan.shard(2).begin, 8u);
  EXPECT_EQ(plan.shard(2).end, 10u);
  expect_exact_cover(plan);
}

TEST(ShardPlan, HugeDomainsDoNotOverflow) {
  const std::uint64_t items = 1ull << 62;
  const ShardPlan plan(items, {.shards = 7}, 1);
  EXPECT_EQ(plan.shard(6).end, items);
  EXPECT_EQ(plan.shard(3).begin, static_cast<std::uint64_t>(UInt128{items} * 3 / 7));
  expect_exact_cover(ShardPlan(items, {.shards = 1000}, 1));
}

TEST(ShardPlan, ShardRowsBeyondTheDomainGiveOneShardOfAll) {
  // (items + rows - 1) / rows wrapped to 0 shards for rows near 2^64.
  constexpr std::uint64_t kMax = ~std::uint64_t{0};
  for (const std::uint64_t rows : {kMax, kMax - 1, std::uint64_t{1} << 63, std::uint64_t{1001}}) {
    const ShardPlan plan(1000, {.shard_items = rows}, 1);
    ASSERT_EQ(plan.count(), 1u) << rows;
    EXPECT_EQ(plan.shard(0).begin, 0u);
    EXPECT_EQ(plan.shard(0).end, 1000u);
  }
  const ShardPlan huge(kMax, {.shard_items = kMax - 1}, 1);
  ASSERT_EQ(huge.count(), 2u);
  EXPECT_EQ(huge.shard(1).begin, kMax - 1);
  EXPECT_EQ(huge.shard(1).end, kMax);
}

TEST(ShardPlan, IsAPureFunctionOfItsInputs) {
  const ShardPlan a(123457, {.shards = 17}, 1), b(123457, {.shards = 17}, 1);
  for (std::uint64_t id = 0; id < a.count(); ++id) {
    EXPECT_EQ(a.shard(id).begin, b.shard(id).begin);
    EXPECT_EQ(a.shard(id).end, b.shard(id).end);
  }
}

TEST(ShardPlan, RejectsEmptyDomainsAndConflictingRequests) {
  EXPECT_THROW(ShardPlan(0, {}, 1), UsageError);
  EXPECT_THROW(ShardPlan(10, {.shards = 2, .shard_items = 3}, 1), UsageError);
}

}  // namespace
}  // namespace shardrun::core
