// Initial blocks, --weights parsing, and the static and steal building blocks
// that need no MPI. The strategies themselves run in tests/mpi/.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "balance/static_source.hpp"
#include "balance/steal_source.hpp"
#include "balance/weights.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::balance {
namespace {

void expect_blocks_cover(std::uint64_t shards, const std::vector<double>& weights, int ranks) {
  std::uint64_t next = 0;
  for (int r = 0; r < ranks; ++r) {
    const core::ShardRange block = weighted_block(shards, weights, r, ranks);
    EXPECT_EQ(block.begin, next) << "rank " << r;
    EXPECT_LE(block.begin, block.end);
    next = block.end;
  }
  EXPECT_EQ(next, shards);
}

TEST(WeightedBlock, EqualAndWeightedBlocksCoverThePlanOnce) {
  for (int ranks : {1, 2, 3, 5, 7})
    for (std::uint64_t shards : {1, 2, 5, 100, 1001}) {
      expect_blocks_cover(shards, {}, ranks);
      std::vector<double> w;
      for (int r = 0; r < ranks; ++r) w.push_back(1.0 + r * 0.7);
      expect_blocks_cover(shards, w, ranks);
    }
}

TEST(WeightedBlock, BlocksFollowTheWeights) {
  const std::vector<double> w = {1, 3};
  EXPECT_EQ(weighted_block(100, w, 0, 2).size(), 25u);
  EXPECT_EQ(weighted_block(100, w, 1, 2).size(), 75u);
  EXPECT_EQ(weighted_block(100, {}, 1, 2).size(), 50u);
  EXPECT_EQ(weighted_block(2, {}, 0, 4).size(), 0u);  // fewer shards than ranks: some get none
}

TEST(InterleavedOrder, EqualBlocksDealTheListRoundRobin) {
  // Two ranks of 3: block 0 (positions 0-2) gets entries 0, 2, 4; block 1 gets 1, 3, 5.
  EXPECT_EQ(interleaved_order(6, {}, 2), (std::vector<std::uint64_t>{0, 2, 4, 1, 3, 5}));
  EXPECT_EQ(interleaved_order(4, {}, 1), (std::vector<std::uint64_t>{0, 1, 2, 3}));
}

TEST(InterleavedOrder, EveryEntryOnceEachBlockInListOrderAtItsPace) {
  for (int ranks : {1, 2, 3, 5})
    for (std::uint64_t shards : {0, 1, 2, 7, 100, 1001})
      for (const std::vector<double>& w :
           {std::vector<double>{}, std::vector<double>(ranks, 1.0)}) {
        std::vector<double> weights = w;
        if (!weights.empty()) weights.back() = 4;  // a rank four times as fast
        const std::vector<std::uint64_t> order = interleaved_order(shards, weights, ranks);
        std::vector<std::uint64_t> sorted = order;
        std::sort(sorted.begin(), sorted.end());
        for (std::uint64_t i = 0; i < shards; ++i) ASSERT_EQ(sorted[i], i);
        for (int r = 0; r < ranks; ++r) {
          const core::ShardRange b = weighted_block(shards, weights, r, ranks);
          for (std::uint64_t p = b.begin; p + 1 < b.end; ++p) EXPECT_LT(order[p], order[p + 1]);
          // Its k-th entry lies near k / (its share) of the list.
          for (std::uint64_t p = b.begin; p < b.end; ++p) {
            const double at = static_cast<double>(p - b.begin + 1) / static_cast<double>(b.size());
            EXPECT_NEAR(static_cast<double>(order[p] + 1) / static_cast<double>(shards), at,
                        static_cast<double>(ranks) / static_cast<double>(shards) + 1e-9)
                << "ranks " << ranks << " shards " << shards << " position " << p;
          }
        }
      }
}

TEST(ParseWeights, ListsAndFiles) {
  EXPECT_EQ(parse_weights("1,2.5, 3", 3), (std::vector<double>{1, 2.5, 3}));
  const std::string file = ::testing::TempDir() + "weights.txt";
  std::ofstream(file) << "1\n4\n";
  EXPECT_EQ(parse_weights(file, 2), (std::vector<double>{1, 4}));
}

TEST(ParseWeights, ErrorsNameTheOptionAndTheProblem) {
  for (const char* bad : {"1,2,3", "1", "1,0", "1,-2", "1,x", "1,nan", ""}) {
    try {
      parse_weights(bad, 2);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--weights", 0), 0u) << e.what();
    }
  }
}

TEST(StaticSource, HandsOutItsBlockInOrderThenStops) {
  StaticSource source({10, 17});
  std::uint64_t next = 10;
  while (auto got = source.next(3, true)) {
    ASSERT_FALSE(got->empty());
    EXPECT_EQ(got->begin, next);
    EXPECT_LE(got->size(), 3u);
    next = got->end;
  }
  EXPECT_EQ(next, 17u);
  StaticSource none({4, 4});
  EXPECT_FALSE(none.next(8, true).has_value());
}

TEST(BlockWord, PacksHeadAndTail) {
  const BlockWord w{7, 4000000000u};
  const BlockWord back = BlockWord::unpack(w.pack());
  EXPECT_EQ(back.head, 7u);
  EXPECT_EQ(back.tail, 4000000000u);
  EXPECT_EQ(back.left(), 4000000000u - 7u);
  EXPECT_EQ((BlockWord{9, 9}).left(), 0u);
  EXPECT_EQ((BlockWord{10, 9}).left(), 0u);  // an owner that overtook a thief's cut
}

}  // namespace
}  // namespace shardrun::balance
