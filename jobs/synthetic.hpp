// The `synthetic` job: items that burn a chosen, deterministic amount of CPU,
// for load-balancing studies. Its checksum proves every item ran exactly once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardrun/job.hpp"

namespace shardrun::jobs {

// How long item i of n takes, in microseconds, for a mean cost of mean_us.
struct CostModel {
  enum class Kind { uniform, linear, sorted_desc, bimodal, pareto };
  Kind kind = Kind::uniform;
  double alpha = 1.5;  // pareto's shape
  double mean_us = 50;
  std::uint64_t seed = 1;

  // "uniform", "linear", "sorted-desc", "bimodal" or "pareto:ALPHA" (ALPHA > 1).
  // Throws UsageError naming --cost.
  static CostModel parse(const std::string& text, double mean_us, std::uint64_t seed);
  double cost_us(std::uint64_t item, std::uint64_t items) const;
};

// The checksum term of one item: a hash of (seed, item).
std::uint64_t item_hash(std::uint64_t seed, std::uint64_t item);

// Spins for `iterations` steps of an integer recurrence (CPU, not sleep) and
// returns its state, so the compiler cannot drop the work.
std::uint64_t burn(std::uint64_t iterations, std::uint64_t state);

class SyntheticJob : public ReduceJob {
 public:
  void add_options(Options& options) override;
  std::string parameters() const override;
  DomainSpec domain() const override;
  void setup_rank(int rank, int ranks) override;
  // Microseconds of CPU the shard's items cost on a rank that is not slowed.
  double work(const Shard& shard) const override;
  PartialPtr process(ShardContext& ctx) const override;
  PartialPtr decode(Decoder& in) const override;
  std::string finalize(const Partial& total, ResultWriter& out) const override;

 private:
  std::uint64_t items_ = 100'000;
  std::string cost_ = "uniform";
  double mean_us_ = 50;
  std::uint64_t seed_ = 1;
  std::vector<std::string> slow_ranks_;  // "R:FACTOR"
  CostModel model_;
  double iterations_per_us_ = 0;  // this rank's calibration × its slow factor
};

}  // namespace shardrun::jobs
