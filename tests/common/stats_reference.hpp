// For the stats tests: normally distributed samples and a long-double
// two-pass reference over the non-NaN values of one column.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace shardrun::testing {

inline std::vector<double> normal_values(std::size_t n, double mean, double sd, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(mean, sd);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

struct StatsReference {
  std::uint64_t count = 0, nans = 0;
  long double sum = 0, mean = 0, m2 = 0;
  double min = INFINITY, max = -INFINITY;
  long double variance() const { return m2 / static_cast<long double>(count); }
};

// Column `col` of a row-major array with `cols` columns.
inline StatsReference stats_reference(const std::vector<double>& v, std::size_t col = 0,
                                      std::size_t cols = 1) {
  StatsReference r;
  for (std::size_t i = col; i < v.size(); i += cols) {
    if (std::isnan(v[i])) {
      ++r.nans;
      continue;
    }
    ++r.count;
    r.sum += v[i];
    r.min = std::min(r.min, v[i]);
    r.max = std::max(r.max, v[i]);
  }
  r.mean = r.sum / static_cast<long double>(r.count);
  for (std::size_t i = col; i < v.size(); i += cols)
    if (!std::isnan(v[i])) r.m2 += (v[i] - r.mean) * (v[i] - r.mean);
  return r;
}

}  // namespace shardrun::testing
