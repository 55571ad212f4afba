// 64-bit words that any rank can read and update atomically, without the
// owner's help: the one-sided primitive under progress counters and stealing.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "mpi/comm.hpp"

namespace shardrun::mpi {

// An MPI-3 window (MPI_Win_allocate, passive target, lock_all for its whole
// life) of `words` uint64 per rank; ranks may pass different counts (0 is
// fine). Every operation is one single-element atomic followed by a flush, so
// it has completed at the target when the call returns, and operations on one
// word are atomic with respect to each other, the owner's own included.
// Construction and destruction are collective; operations are main thread
// only (MPI_THREAD_FUNNELED). Not copyable.
//
// Open MPI 4.1's osc/rdma crashes on compare-and-swap over its shared-memory
// transport unless that transport's single-copy mode is off; mpi::Environment
// turns it off before MPI_Init (see docs/platform.md, open-mpi/ompi#11349).
class AtomicWindow {
 public:
  AtomicWindow(const Comm& comm, int words);
  ~AtomicWindow();
  AtomicWindow(const AtomicWindow&) = delete;
  AtomicWindow& operator=(const AtomicWindow&) = delete;

  std::uint64_t load(int rank, int word);
  std::uint64_t fetch_add(int rank, int word, std::uint64_t delta);  // returns the old value
  // Replaces the word with desired if it equals expected; returns what it held.
  std::uint64_t compare_and_swap(int rank, int word, std::uint64_t expected, std::uint64_t desired);
  // Adds delta to the word on every rank but this one: all sent, then one
  // flush, so P ranks cost about one round trip, not P.
  void add_to_every_other_rank(int word, std::uint64_t delta);

 private:
  std::uint64_t fetch_op(int rank, int word, std::uint64_t operand, MPI_Op op);
  MPI_Win win_ = MPI_WIN_NULL;
  int rank_ = 0, ranks_ = 1;
};

}  // namespace shardrun::mpi
