// The streaming kernel of `stats` for wide rows (an N-D dataset's grid, a
// wide table): every element of a row updates its own running mean and
// second moment (Welford's update), a row at a time, so a shard with rows of
// a million values costs one pass over them. The columns are independent,
// so the loops vectorise across a row without changing any sum's order. A
// block's rows go through in tiles of columns whose state stays in L1/L2,
// so the state is fetched from memory once a block, not once a row.
#pragma once

#include <cstdint>
#include <vector>

#include "shardrun/int128.hpp"
#include "shardrun/missing.hpp"
#include "shardrun/shard.hpp"
#include "stats.hpp"

namespace shardrun::jobs {

class WideStats {
 public:
  WideStats(std::size_t cols, bool integer);
  // Adds the rows of a block, in order.
  void add_rows(const Block& block, const MissingValues& missing);
  // Appends these statistics to `columns` (as rows after theirs).
  void merge_into(std::vector<ColumnStats>& columns) const;

 private:
  // Elements [begin, end) of one row.
  template <bool kMissing, class T>
  void add_row(const T* row, std::size_t begin, std::size_t end, const MissingValues& missing);

  std::size_t cols_;
  bool integer_;
  std::vector<double> n_, mean_, m2_, sum_, lo_, hi_;
  std::vector<std::uint64_t> nan_, missing_;
  std::vector<Int128> int_sum_, int_lo_, int_hi_;  // integers only
};

}  // namespace shardrun::jobs
