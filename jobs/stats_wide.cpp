#include "stats_wide.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

namespace shardrun::jobs {

WideStats::WideStats(std::size_t cols, bool integer)
    : cols_(cols),
      integer_(integer),
      n_(cols),
      mean_(cols),
      m2_(cols),
      sum_(cols),
      lo_(cols, std::numeric_limits<double>::infinity()),
      hi_(cols, -std::numeric_limits<double>::infinity()),
      nan_(cols),
      missing_(cols) {
  if (integer) {
    int_sum_.assign(cols, 0);
    int_lo_.assign(cols, 0);
    int_hi_.assign(cols, 0);
  }
}

template <bool kMissing, class T>
void WideStats::add_row(const T* row, std::size_t begin, std::size_t end,
                        const MissingValues& missing) {
  double* n = n_.data();
  double* mean = mean_.data();
  double* m2 = m2_.data();
  for (std::size_t c = begin; c < end; ++c) {
    const T raw = row[c];
    const double v = static_cast<double>(raw);
    bool ok = v == v;  // false for NaN
    if constexpr (std::is_floating_point_v<T>) nan_[c] += ok ? 0 : 1;
    if constexpr (kMissing) {
      const bool miss = missing.contains(raw);
      missing_[c] += miss ? 1 : 0;
      ok = ok && !miss;
    }
    const double count = n[c] + (ok ? 1.0 : 0.0);
    const double d = ok ? v - mean[c] : 0.0;
    const double new_mean = mean[c] + (ok ? d / count : 0.0);
    m2[c] += ok ? d * (v - new_mean) : 0.0;
    mean[c] = new_mean;
    n[c] = count;
    if constexpr (std::is_floating_point_v<T>) {
      sum_[c] += ok ? v : 0.0;
      lo_[c] = ok && v < lo_[c] ? v : lo_[c];
      hi_[c] = ok && v > hi_[c] ? v : hi_[c];
    } else if (ok) {
      const Int128 x = raw;
      if (count == 1.0) int_lo_[c] = int_hi_[c] = x;
      int_sum_[c] += x;
      int_lo_[c] = x < int_lo_[c] ? x : int_lo_[c];
      int_hi_[c] = x > int_hi_[c] ? x : int_hi_[c];
    }
  }
}

void WideStats::add_rows(const Block& block, const MissingValues& missing) {
  visit_element_type(block.type, [&](auto tag) {
    using T = decltype(tag);
    const T* data = static_cast<const T*>(block.data);
    // 512 columns: 8 arrays of them (32 KiB) stay in cache across the rows.
    constexpr std::size_t kTile = 512;
    for (std::size_t begin = 0; begin < cols_; begin += kTile) {
      const std::size_t end = std::min(cols_, begin + kTile);
      for (std::uint64_t r = 0; r < block.rows; ++r) {
        if (missing.empty())
          add_row<false>(data + r * cols_, begin, end, missing);
        else
          add_row<true>(data + r * cols_, begin, end, missing);
      }
    }
  });
}

void WideStats::merge_into(std::vector<ColumnStats>& columns) const {
  for (std::size_t c = 0; c < cols_; ++c) {
    ColumnStats s;
    s.count = static_cast<std::uint64_t>(n_[c]);
    s.nan_count = nan_[c];
    s.missing_count = missing_[c];
    s.mean = mean_[c];
    s.m2 = m2_[c];
    if (integer_) {
      s.int_sum = int_sum_[c];
      s.int_min = int_lo_[c];
      s.int_max = int_hi_[c];
    } else {
      s.float_sum = sum_[c];
      s.float_min = lo_[c];
      s.float_max = hi_[c];
    }
    columns[c].merge(s, integer_);
  }
}

}  // namespace shardrun::jobs
