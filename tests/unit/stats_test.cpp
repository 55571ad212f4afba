// stats: the chunked two-pass update and its merge against a plain two-pass
// reference, NaN handling, exact integer sums.
#include "jobs/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "stats_reference.hpp"

namespace shardrun::jobs {
namespace {

using testing::stats_reference;
using Reference = testing::StatsReference;

void expect_matches(const ColumnStats& s, const Reference& r) {
  EXPECT_EQ(s.count, r.count);
  EXPECT_EQ(s.nan_count, r.nans);
  EXPECT_EQ(s.float_min, r.min);
  EXPECT_EQ(s.float_max, r.max);
  EXPECT_NEAR(s.float_sum, static_cast<double>(r.sum),
              1e-9 * std::fabs(static_cast<double>(r.sum)) + 1e-9);
  EXPECT_NEAR(s.mean, static_cast<double>(r.mean),
              1e-12 * std::fabs(static_cast<double>(r.mean)) + 1e-12);
  const double variance = s.m2 / static_cast<double>(s.count);
  EXPECT_NEAR(variance, static_cast<double>(r.variance()),
              1e-12 * static_cast<double>(r.variance()));
}

std::vector<double> sample(std::size_t n, double offset, unsigned seed) {
  return testing::normal_values(n, offset, 3.0, seed);
}

TEST(Stats, OneBlockMatchesTwoPassReference) {
  const auto v = sample(100'003, 5.0, 1);
  StatsPartial p(1, false);
  p.add_block(Block{ElementType::f64, v.data(), 0, v.size(), 1});
  expect_matches(p.columns()[0], stats_reference(v));
}

TEST(Stats, CombinedBlocksMatchTwoPassReference) {
  const auto v = sample(50'000, -2.0, 2);
  StatsPartial left(1, false), right(1, false);
  left.add_block(Block{ElementType::f64, v.data(), 0, 12'345, 1});
  right.add_block(Block{ElementType::f64, v.data() + 12'345, 12'345, v.size() - 12'345, 1});
  left.combine(right);
  expect_matches(left.columns()[0], stats_reference(v));
}

TEST(Stats, VarianceIsStableWithALargeOffset) {
  // Sum of squares would lose every digit here; the pairwise update does not.
  auto v = sample(200'000, 1e9, 3);
  StatsPartial p(1, false);
  p.add_block(Block{ElementType::f64, v.data(), 0, v.size(), 1});
  const Reference r = stats_reference(v);
  EXPECT_NEAR(p.columns()[0].m2 / static_cast<double>(v.size()), static_cast<double>(r.variance()),
              1e-6 * static_cast<double>(r.variance()));
}

TEST(Stats, NaNsAreCountedAndSkippedPerColumn) {
  auto v = sample(3 * 1000, 0.0, 4);
  for (std::size_t i = 0; i < v.size(); i += 7) v[i] = NAN;
  StatsPartial p(3, false);
  p.add_block(Block{ElementType::f64, v.data(), 0, 1000, 3});
  for (std::size_t c = 0; c < 3; ++c) expect_matches(p.columns()[c], stats_reference(v, c, 3));
}

TEST(Stats, AllNaNColumnHasNoCount) {
  const std::vector<double> v(100, NAN);
  StatsPartial p(1, false), q(1, false);
  p.add_block(Block{ElementType::f64, v.data(), 0, v.size(), 1});
  q.add_block(Block{ElementType::f64, v.data(), 0, v.size(), 1});
  p.combine(q);
  EXPECT_EQ(p.columns()[0].count, 0u);
  EXPECT_EQ(p.columns()[0].nan_count, 200u);
}

TEST(Stats, Int64SumsAreExact) {
  // Near 2^62 a double sum drops the low bits; the 128-bit sum keeps them.
  const std::int64_t big = (1ll << 62) + 1;
  const std::vector<std::int64_t> v = {big, 1, -big, 3, big, -big + 2};
  StatsPartial p(1, true), q(1, true);
  p.add_block(Block{ElementType::i64, v.data(), 0, 3, 1});
  q.add_block(Block{ElementType::i64, v.data() + 3, 3, 3, 1});
  p.combine(q);
  const ColumnStats& s = p.columns()[0];
  EXPECT_TRUE(s.int_sum == Int128{6});
  EXPECT_TRUE(s.int_min == Int128{-big});
  EXPECT_TRUE(s.int_max == Int128{big});
  EXPECT_EQ(s.count, 6u);
}

// Found by tests/fuzz/partials: two crafted partials whose 128-bit integer
// sums overflow when merged (undefined behaviour) now make a RuntimeError.
TEST(Stats, IntegerSumsBeyond128BitsAreRefused) {
  const auto max = static_cast<Int128>(~UInt128{0} >> 1);
  ColumnStats left, right;
  left.count = right.count = 1;
  left.int_sum = right.int_sum = max / 2 + 1;
  EXPECT_THROW(left.merge(right, true), RuntimeError);
  ColumnStats fits;
  fits.count = 1;
  fits.int_sum = -1;
  right.merge(fits, true);
  EXPECT_TRUE(right.int_sum == max / 2);
}

TEST(Stats, Float32AndSmallIntsAreReadInTheirOwnType) {
  const std::vector<float> f = {1.5f, 2.5f, NAN};
  StatsPartial pf(1, false);
  pf.add_block(Block{ElementType::f32, f.data(), 0, 3, 1});
  EXPECT_EQ(pf.columns()[0].float_sum, 4.0);
  EXPECT_EQ(pf.columns()[0].nan_count, 1u);
  const std::vector<std::uint8_t> u = {200, 250, 255};
  StatsPartial pu(1, true);
  pu.add_block(Block{ElementType::u8, u.data(), 0, 3, 1});
  EXPECT_TRUE(pu.columns()[0].int_sum == Int128{705});
  EXPECT_TRUE(pu.columns()[0].int_max == Int128{255});
}

}  // namespace
}  // namespace shardrun::jobs
