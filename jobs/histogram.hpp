// The `histogram` job: counts in equal bins over a fixed range, per element
// of a row (a column of a 2-D dataset) or, with --all, of every value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardrun/job.hpp"
#include "shardrun/missing.hpp"
#include "value_options.hpp"

namespace shardrun::jobs {

// Equal bins over [lo, hi] with numpy.histogram's semantics: bins are
// half-open [e_i, e_i+1) except the last, which includes hi; edges are
// lo + i·(hi−lo)/bins with the last edge exactly hi.
class Binning {
 public:
  Binning(std::uint64_t bins, double lo, double hi);
  std::uint64_t bins() const { return bins_; }
  const std::vector<double>& edges() const { return edges_; }
  // The bin of a value within [lo, hi] (callers sort out NaN and outliers).
  std::uint64_t bin(double value) const;
  double lo() const { return lo_; }
  double hi() const { return hi_; }

 private:
  std::uint64_t bins_;
  double lo_, hi_, norm_;
  std::vector<double> edges_;
};

// "LO:HI" → {lo, hi}; throws UsageError naming --range unless lo < hi, both finite.
std::pair<double, double> parse_range(const std::string& text);

// Counts are exact integers: combining in any order gives the same bits.
class HistogramPartial : public Partial {
 public:
  HistogramPartial(std::uint64_t cols, std::uint64_t bins);
  void combine(const Partial& right) override;
  void encode(Encoder& out) const override;
  static PartialPtr decode(Decoder& in);

  void add_block(const Block& block, const Binning& binning, const MissingValues& missing = {});
  std::uint64_t cols() const { return cols_; }
  std::uint64_t bins() const { return bins_; }
  // Per column: bins counts, then underflow, overflow, NaN, missing.
  const std::vector<std::uint64_t>& cells() const { return cells_; }
  std::uint64_t stride() const { return bins_ + 4; }

 private:
  std::uint64_t cols_, bins_;
  std::vector<std::uint64_t> cells_;
};

class HistogramJob : public ReduceJob {
 public:
  void add_options(Options& options) override;
  std::string parameters() const override;
  DomainSpec domain() const override;
  void prepare(const InputInfo& input) override;
  PartialPtr process(ShardContext& ctx) const override;
  PartialPtr decode(Decoder& in) const override { return HistogramPartial::decode(in); }
  std::string finalize(const Partial& total, ResultWriter& out) const override;

 private:
  Binning binning() const;
  std::string input_;
  std::uint64_t bins_ = 64;
  std::string range_;
  ValueOptions values_;
  InputInfo input_info_;
  static constexpr std::uint64_t kMaxCells = 1ull << 22;  // 32 MiB of counters a partial
};

}  // namespace shardrun::jobs
