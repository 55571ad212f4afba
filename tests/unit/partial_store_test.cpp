// The combine tree: fixed shape, independent of insertion order and of how the
// shards are split between stores (ranks).
#include "core/partial_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

#include "sequence_partial.hpp"

namespace shardrun::core {
namespace {

using testing::SequencePartial;

PartialPtr leaf(std::uint64_t id) { return std::make_unique<SequencePartial>(std::to_string(id)); }

const std::string& text_of(const Partial* p) {
  return static_cast<const SequencePartial*>(p)->text();
}

// The tree written out by hand: halves at powers of two.
std::string reference(std::uint64_t lo, std::uint64_t width, std::uint64_t count) {
  if (width == 1) return std::to_string(lo);
  const std::uint64_t half = width / 2;
  if (lo + half >= count) return reference(lo, half, count);
  return "(" + reference(lo, half, count) + " " + reference(lo + half, half, count) + ")";
}

std::string expected_root(std::uint64_t count) {
  std::uint64_t width = 1;
  while (width < count) width *= 2;
  return reference(0, width, count);
}

TEST(PartialStore, InOrderGivesTheFixedTree) {
  for (std::uint64_t count : {1, 2, 3, 5, 8, 13, 64, 100}) {
    PartialStore store(count);
    for (std::uint64_t id = 0; id < count; ++id) {
      EXPECT_EQ(store.root(), nullptr);
      store.add_leaf(id, leaf(id));
    }
    ASSERT_NE(store.root(), nullptr) << count;
    EXPECT_EQ(text_of(store.root()), expected_root(count));
    EXPECT_EQ(store.node_count(), 1u);
  }
}

TEST(PartialStore, AnyOrderGivesTheSameTree) {
  std::mt19937 rng(42);
  for (std::uint64_t count : {7, 31, 200}) {
    std::vector<std::uint64_t> ids(count);
    std::iota(ids.begin(), ids.end(), 0);
    for (int trial = 0; trial < 20; ++trial) {
      std::shuffle(ids.begin(), ids.end(), rng);
      PartialStore store(count);
      for (std::uint64_t id : ids) store.add_leaf(id, leaf(id));
      ASSERT_NE(store.root(), nullptr);
      EXPECT_EQ(text_of(store.root()), expected_root(count));
    }
  }
}

TEST(PartialStore, SplitBetweenRanksAndMergedGivesTheSameTree) {
  const std::uint64_t count = 37;
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    // Deal the shards to 3 "ranks" at random, as stealing would.
    std::vector<PartialStore> ranks;
    for (int r = 0; r < 3; ++r) ranks.emplace_back(count);
    for (std::uint64_t id = 0; id < count; ++id) ranks[rng() % 3].add_leaf(id, leaf(id));
    PartialStore root(count);
    for (const PartialStore& rank : ranks)
      root.add_encoded(rank.encode(), [](Decoder& in) { return SequencePartial::decode(in); });
    ASSERT_NE(root.root(), nullptr);
    EXPECT_EQ(text_of(root.root()), expected_root(count));
  }
}

TEST(PartialStore, ContiguousRunKeepsFewNodes) {
  PartialStore store(1 << 20);
  for (std::uint64_t id = 1000; id < 50000; ++id) store.add_leaf(id, leaf(id));
  EXPECT_LE(store.node_count(), 2u * 20u);  // O(log n) folded subtrees
}

TEST(PartialStore, DuplicateShardIsAnError) {
  PartialStore store(4);
  store.add_leaf(2, leaf(2));
  EXPECT_THROW(store.add_leaf(2, leaf(2)), RuntimeError);
}

TEST(PartialStore, CorruptEncodingIsAnError) {
  PartialStore store(4);
  store.add_leaf(1, leaf(1));
  Bytes bytes = store.encode();
  bytes.resize(bytes.size() - 1);
  PartialStore other(4);
  EXPECT_THROW(other.add_encoded(bytes, [](Decoder& in) { return SequencePartial::decode(in); }),
               RuntimeError);
  // A node claiming more bytes than follow is refused before anything is
  // allocated for it (found by tests/fuzz/partials: 2^60 bytes asked).
  Bytes huge = store.encode();  // count, then level, index, size, bytes of node (0, 1)
  const std::uint64_t size = std::uint64_t{1} << 60;
  std::memcpy(huge.data() + sizeof(std::uint64_t) + sizeof(std::int32_t) + sizeof(std::uint64_t),
              &size, sizeof size);
  EXPECT_THROW(other.add_encoded(huge, [](Decoder& in) { return SequencePartial::decode(in); }),
               RuntimeError);
  PartialStore smaller(1);  // node 1 lies outside a one-shard tree
  EXPECT_THROW(
      smaller.add_encoded(store.encode(), [](Decoder& in) { return SequencePartial::decode(in); }),
      RuntimeError);
}

}  // namespace
}  // namespace shardrun::core
