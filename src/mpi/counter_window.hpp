// A few 64-bit counters on rank 0 that every rank can add to without waiting.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <span>
#include <vector>

#include "mpi/comm.hpp"

namespace shardrun::mpi {

// MPI-3 passive-target window holding `count` uint64 counters on rank 0.
// Construction and destruction are collective. add() and read() are
// one-sided (main thread only). Move-only is not needed: owned in place.
class CounterWindow {
 public:
  CounterWindow(const Comm& comm, int count);
  ~CounterWindow();
  CounterWindow(const CounterWindow&) = delete;
  CounterWindow& operator=(const CounterWindow&) = delete;

  // Atomically adds deltas[i] to counter i (element-wise atomic).
  void add(std::span<const std::uint64_t> deltas);
  // The counters' current values.
  std::vector<std::uint64_t> read();

 private:
  MPI_Win win_ = MPI_WIN_NULL;
  int count_;
};

}  // namespace shardrun::mpi
