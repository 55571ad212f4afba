// The `stats` job: per-element (or, with --all, overall) count, sum, mean,
// variance, min, max, NaN and missing counts.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "shardrun/int128.hpp"
#include "shardrun/job.hpp"
#include "shardrun/missing.hpp"
#include "value_options.hpp"

namespace shardrun::jobs {

// One column's statistics over the non-NaN values of some rows. Means and
// second moments merge with the pairwise update of Chan, Golub and LeVeque,
// never by sum of squares; stats_kernels.cpp says how a chunk gets its own.
// Integer data is summed exactly in 128 bits.
struct ColumnStats {
  std::uint64_t count = 0;
  std::uint64_t nan_count = 0;
  std::uint64_t missing_count = 0;  // values equal to a --missing value
  double mean = 0;
  double m2 = 0;  // sum of squared deviations from the mean
  double float_sum = 0;
  double float_min = std::numeric_limits<double>::infinity();
  double float_max = -std::numeric_limits<double>::infinity();
  Int128 int_sum = 0;
  Int128 int_min = 0;  // valid when count > 0
  Int128 int_max = 0;

  // Appends `right` (values after ours).
  void merge(const ColumnStats& right, bool integer);
};

// Rows wider than this many values take the streaming kernel: the chunked
// one would have fewer than 8 rows of a column per chunk.
inline constexpr std::size_t kWideRow = 512;

class WideStats;  // stats_wide.hpp

class StatsPartial : public Partial {
 public:
  StatsPartial(std::uint64_t cols, bool integer);
  ~StatsPartial() override;
  void combine(const Partial& right) override;
  void encode(Encoder& out) const override;
  static PartialPtr decode(Decoder& in);

  // Adds a block of rows (any element type) in row order; values in
  // `missing` are counted apart. Call finish() after the last block.
  void add_block(const Block& block, const MissingValues& missing = {});
  void finish();
  const std::vector<ColumnStats>& columns() const { return columns_; }
  bool integer() const { return integer_; }

 private:
  bool integer_;
  std::vector<ColumnStats> columns_;
  std::unique_ptr<WideStats> wide_;  // the running statistics of wide rows
};

class StatsJob : public ReduceJob {
 public:
  void add_options(Options& options) override;
  std::string parameters() const override;
  DomainSpec domain() const override { return DatasetDomain{input_}; }
  void prepare(const InputInfo& input) override;
  PartialPtr process(ShardContext& ctx) const override;
  PartialPtr decode(Decoder& in) const override { return StatsPartial::decode(in); }
  std::string finalize(const Partial& total, ResultWriter& out) const override;

 private:
  std::string input_;
  ValueOptions values_;
  InputInfo input_info_;
};

}  // namespace shardrun::jobs
