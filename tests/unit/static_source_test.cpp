#include "balance/static_source.hpp"

#include <gtest/gtest.h>

namespace shardrun {
namespace {

TEST(StaticSource, BlocksCoverThePlanOnceInRankOrder) {
  for (int ranks : {1, 2, 3, 4, 7}) {
    for (std::uint64_t shards : {1, 2, 5, 100, 1001}) {
      std::uint64_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        StaticSource source(shards, r, ranks);
        const ShardRange block = StaticSource::block(shards, r, ranks);
        EXPECT_EQ(block.begin, next);
        // Handed out in pieces of at most 3, in order, then exhausted.
        while (auto got = source.next(3, true)) {
          ASSERT_FALSE(got->empty());
          EXPECT_EQ(got->begin, next);
          EXPECT_LE(got->end - got->begin, 3u);
          next = got->end;
        }
        EXPECT_EQ(next, block.end);
      }
      EXPECT_EQ(next, shards);
    }
  }
}

TEST(StaticSource, RankWithoutShardsGetsNothing) {
  StaticSource source(2, 0, 4);  // 2 shards over 4 ranks: rank 0 gets none
  EXPECT_FALSE(source.next(8, true).has_value());
}

}  // namespace
}  // namespace shardrun
