// The reduce shape: shard → partial → one combined result.
#pragma once

#include "core/partial_store.hpp"
#include "shapes/shape_runner.hpp"

namespace shardrun::shapes {

// Partials fold along the fixed combine tree over shard ids, on every rank
// and then on rank 0 (docs/design.md, promise 2).
class ReduceRunner : public ShapeRunner {
 public:
  ReduceRunner(ReduceJob& job, std::uint64_t shard_count)
      : job_(job), shard_count_(shard_count), store_(shard_count) {}
  bool result_from_state() const override { return true; }
  std::unique_ptr<core::ShardOutput> process(ShardContext& context) override;
  void done(core::ShardOutcome& outcome, io::ResultFile& output) override;
  Bytes take_delta() override;
  void add_delta(std::span<const std::byte> delta) override;
  Bytes save() const override { return store_.encode(); }
  JobResult finish(io::ResultFile& output) override;

 private:
  ReduceJob& job_;
  std::uint64_t shard_count_;
  core::PartialStore store_;  // rank 0: everything so far; others: since the last delta
};

}  // namespace shardrun::shapes
