// The counter strategy: one shared fetch-and-add counter hands out chunks.
#pragma once

#include "core/shard_source.hpp"
#include "mpi/atomic_window.hpp"

namespace shardrun::balance {

// Every rank claims the next unclaimed shards from a counter on rank 0 with a
// single atomic fetch-and-add. Chunks are guided: about remaining / (2 ×
// ranks) shards, shrinking towards 1 as the plan drains, so early claims are
// cheap and late ones balance. A baseline for `steal`: it has no locality and
// every claim goes to rank 0.
class CounterSource : public core::ShardSource {
 public:
  CounterSource(const mpi::Comm& comm, std::uint64_t shard_count);
  std::optional<core::ShardRange> next(std::uint64_t max, bool idle) override;
  void abandon() override;

 private:
  enum Word { kNext, kAbandoned, kWords };
  mpi::AtomicWindow window_;
  std::uint64_t shard_count_;
  int ranks_;
  core::ShardRange claimed_;  // claimed by this rank, not yet handed to the executor
};

}  // namespace shardrun::balance
