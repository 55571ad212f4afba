// The run's few counters on rank 0 that every rank adds to: shards and items
// done (progress), ranks through their shards, a stop.
#pragma once

#include <cstdint>
#include <memory>

#include "mpi/comm.hpp"

namespace shardrun::run {

// Main thread only. Collective construction and destruction.
class RunCounters {
 public:
  virtual ~RunCounters() = default;
  // Adds n to counter c on rank 0 (any rank).
  virtual void add(int counter, std::uint64_t n) = 0;
  // Rank 0: the counter's total so far. Other ranks: the stop counter only
  // (every other counter reads 0 there), non-zero once a stop added anywhere
  // has reached this rank: a few reads (ticks) after it reached rank 0.
  virtual std::uint64_t read(int counter) = 0;
};

// Over a one-sided window when windows work across the ranks (remote
// atomics: nobody waits for rank 0); else by messages to rank 0, which
// passes a stop on to every rank.
std::unique_ptr<RunCounters> make_run_counters(const mpi::Comm& comm, int counters, int stop);

}  // namespace shardrun::run
