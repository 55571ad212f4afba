// The example's two jobs: a reduce (rms) and a map (scale).
#pragma once

#include <shardrun/job.hpp>
#include <string>
#include <vector>

namespace myjob {

// Root mean square of each column of a float64 or float32 dataset.
class Rms : public shardrun::ReduceJob {
 public:
  void add_options(shardrun::Options& options) override;
  std::string parameters() const override { return "input=" + input_; }
  shardrun::DomainSpec domain() const override { return shardrun::DatasetDomain{input_}; }
  void prepare(const shardrun::InputInfo& input) override;
  shardrun::PartialPtr process(shardrun::ShardContext& ctx) const override;
  shardrun::PartialPtr decode(shardrun::Decoder& in) const override;
  std::string finalize(const shardrun::Partial& total, shardrun::ResultWriter& out) const override;

 private:
  std::string input_;
  std::uint64_t cols_ = 1;
};

// y = a * x + b for every value of a float64 or float32 dataset, into the
// float64 dataset /scaled of --output (same shape as the input).
class Scale : public shardrun::MapJob {
 public:
  void add_options(shardrun::Options& options) override;
  std::string parameters() const override;
  shardrun::DomainSpec domain() const override { return shardrun::DatasetDomain{input_}; }
  void prepare(const shardrun::InputInfo& input) override;
  std::vector<shardrun::OutputSpec> outputs() const override;
  void process(shardrun::ShardContext& ctx, shardrun::OutputSink& out) const override;

 private:
  std::string input_;
  double a_ = 1, b_ = 0;
  shardrun::InputInfo info_;
};

}  // namespace myjob
