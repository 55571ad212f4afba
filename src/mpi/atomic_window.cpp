#include "mpi/atomic_window.hpp"

namespace shardrun::mpi {

AtomicWindow::AtomicWindow(const Comm& comm, int words) : rank_(comm.rank()), ranks_(comm.size()) {
  std::uint64_t* base = nullptr;
  const auto bytes = static_cast<MPI_Aint>(words) * static_cast<MPI_Aint>(sizeof(std::uint64_t));
  check(MPI_Win_allocate(bytes, sizeof(std::uint64_t), MPI_INFO_NULL, comm.raw(), &base, &win_),
        "MPI_Win_allocate");
  for (int i = 0; i < words; ++i) base[i] = 0;
  comm.barrier();  // zeroed everywhere before anyone operates
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, win_), "MPI_Win_lock_all");
}

AtomicWindow::~AtomicWindow() {
  if (win_ == MPI_WIN_NULL) return;
  MPI_Win_unlock_all(win_);
  MPI_Win_free(&win_);
}

std::uint64_t AtomicWindow::fetch_op(int rank, int word, std::uint64_t operand, MPI_Op op) {
  std::uint64_t old = 0;
  check(MPI_Fetch_and_op(&operand, &old, MPI_UINT64_T, rank, word, op, win_), "MPI_Fetch_and_op");
  check(MPI_Win_flush(rank, win_), "MPI_Win_flush");
  return old;
}

std::uint64_t AtomicWindow::load(int rank, int word) { return fetch_op(rank, word, 0, MPI_NO_OP); }

std::uint64_t AtomicWindow::fetch_add(int rank, int word, std::uint64_t delta) {
  return fetch_op(rank, word, delta, MPI_SUM);
}

std::uint64_t AtomicWindow::compare_and_swap(int rank, int word, std::uint64_t expected,
                                             std::uint64_t desired) {
  std::uint64_t old = 0;
  check(MPI_Compare_and_swap(&desired, &expected, &old, MPI_UINT64_T, rank, word, win_),
        "MPI_Compare_and_swap");
  check(MPI_Win_flush(rank, win_), "MPI_Win_flush");
  return old;
}

void AtomicWindow::add_to_every_other_rank(int word, std::uint64_t delta) {
  for (int r = 0; r < ranks_; ++r) {
    if (r == rank_) continue;
    check(MPI_Accumulate(&delta, 1, MPI_UINT64_T, r, word, 1, MPI_UINT64_T, MPI_SUM, win_),
          "MPI_Accumulate");
  }
  check(MPI_Win_flush_all(win_), "MPI_Win_flush_all");
}

}  // namespace shardrun::mpi
