// stats kernels: every vector width gives the same bits, and the one-pass
// shifted kernel keeps two-pass accuracy, on chunks whose shift is poor too.
#include "jobs/stats_kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "stats_reference.hpp"

namespace shardrun::jobs {
namespace {

struct Case {
  std::string name;
  std::vector<double> values;
};

std::vector<double> normal(std::size_t n, double mean, double sd, unsigned seed) {
  return testing::normal_values(n, mean, sd, seed);
}

// A chunk whose first value is an outlier: the shift (the midrange of the
// first and last 32 values) lands halfway to it, far from the mean in units
// of the spread, so the one-pass result must be refused.
std::vector<double> poor_shift() {
  auto v = normal(kStatsChunk, 0.0, 1.0, 5);
  v[0] = 1e6;
  return v;
}

std::vector<Case> cases() {
  std::vector<Case> out = {
      {"normal", normal(kStatsChunk, 3.0, 2.0, 1)},
      {"offset 1e9", normal(kStatsChunk, 1e9, 1.0, 2)},
      {"poor shift", poor_shift()},
      {"constant", std::vector<double>(kStatsChunk, 7.25)},
      {"odd length", normal(kStatsChunk - 13, -1.0, 0.5, 3)},
  };
  std::vector<double> sorted(kStatsChunk);
  for (std::size_t i = 0; i < sorted.size(); ++i) sorted[i] = static_cast<double>(i) * 1e-3;
  out.push_back({"sorted", sorted});
  auto nan = normal(kStatsChunk, 0.0, 1.0, 4);
  for (std::size_t i = 3; i < nan.size(); i += 97) nan[i] = NAN;
  out.push_back({"nan", nan});
  auto inf = normal(kStatsChunk, 0.0, 1.0, 6);
  inf[100] = INFINITY;
  out.push_back({"inf", inf});
  std::vector<double> zeros(kStatsChunk);
  for (std::size_t i = 0; i < zeros.size(); ++i)
    zeros[i] = i % 3 == 0 ? -0.0 : i % 3 == 1 ? 0.0 : 1.0;
  out.push_back({"signed zeros", zeros});
  for (std::size_t n : {1, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100})
    out.push_back({"length " + std::to_string(n), normal(n, 2.0, 1.0, static_cast<unsigned>(n))});
  return out;
}

std::vector<SimdLevel> supported_levels() {
  std::vector<SimdLevel> out;
  for (SimdLevel level : {SimdLevel::sse2, SimdLevel::avx2, SimdLevel::avx512})
    if (simd_supported(level)) out.push_back(level);
  return out;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_same_bits(const ColumnStats& a, const ColumnStats& b, const std::string& what) {
  EXPECT_EQ(a.count, b.count) << what;
  EXPECT_EQ(a.nan_count, b.nan_count) << what;
  EXPECT_TRUE(same_bits(a.mean, b.mean)) << what << ": mean " << a.mean << " vs " << b.mean;
  EXPECT_TRUE(same_bits(a.m2, b.m2)) << what << ": m2 " << a.m2 << " vs " << b.m2;
  EXPECT_TRUE(same_bits(a.float_sum, b.float_sum)) << what << ": sum";
  EXPECT_TRUE(same_bits(a.float_min, b.float_min)) << what << ": min";
  EXPECT_TRUE(same_bits(a.float_max, b.float_max)) << what << ": max";
}

TEST(StatsKernels, EveryVectorWidthGivesTheSameBits) {
  const auto levels = supported_levels();
  ASSERT_FALSE(levels.empty());
  for (const Case& c : cases()) {
    std::vector<float> narrow(c.values.begin(), c.values.end());
    const ColumnStats d0 = contiguous_float_stats(c.values.data(), c.values.size(), levels[0]);
    const ColumnStats f0 = contiguous_float_stats(narrow.data(), narrow.size(), levels[0]);
    for (SimdLevel level : levels) {
      const std::string what = c.name + " at level " + std::to_string(static_cast<int>(level));
      expect_same_bits(contiguous_float_stats(c.values.data(), c.values.size(), level), d0, what);
      expect_same_bits(contiguous_float_stats(narrow.data(), narrow.size(), level), f0,
                       what + " (float32)");
    }
  }
}

// Relative errors of the order of a two-pass sum of n terms. A one-pass
// result kept with a shift far from the mean ("poor shift") would be off by
// about a thousand times more (1.4e-13 when the check is taken out).
TEST(StatsKernels, MatchALongDoubleTwoPassReference) {
  for (const Case& c : cases()) {
    if (c.name == "inf") continue;
    const testing::StatsReference r = testing::stats_reference(c.values);
    for (SimdLevel level : supported_levels()) {
      const ColumnStats s = contiguous_float_stats(c.values.data(), c.values.size(), level);
      const std::string what = c.name + " at level " + std::to_string(static_cast<int>(level));
      EXPECT_EQ(s.count, r.count) << what;
      EXPECT_EQ(s.float_min, r.min) << what;
      EXPECT_EQ(s.float_max, r.max) << what;
      const double mean = static_cast<double>(r.mean), m2 = static_cast<double>(r.m2);
      EXPECT_NEAR(s.mean, mean,
                  1e-15 * (std::fabs(mean) + std::sqrt(m2 / static_cast<double>(r.count))))
          << what;
      EXPECT_NEAR(s.m2, m2, 1e-14 * m2) << what;
    }
  }
}

TEST(StatsKernels, ConstantChunkHasExactlyZeroVariance) {
  const std::vector<double> v(kStatsChunk, 1e9 + 0.5);
  const ColumnStats s = chunk_stats(v.data(), v.size(), 1);
  EXPECT_EQ(s.m2, 0.0);
  EXPECT_EQ(s.mean, 1e9 + 0.5);
}

TEST(StatsKernels, InfinityGivesAnInfiniteMeanAndSum) {
  auto v = normal(kStatsChunk, 0.0, 1.0, 7);
  v[9] = INFINITY;
  const ColumnStats s = chunk_stats(v.data(), v.size(), 1);
  EXPECT_EQ(s.float_max, INFINITY);
  EXPECT_EQ(s.float_sum, INFINITY);
  EXPECT_EQ(s.mean, INFINITY);
  EXPECT_EQ(s.count, v.size());
}

}  // namespace
}  // namespace shardrun::jobs
