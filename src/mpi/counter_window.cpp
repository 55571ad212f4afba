#include "mpi/counter_window.hpp"

namespace shardrun::mpi {

CounterWindow::CounterWindow(const Comm& comm, int count) : count_(count) {
  const MPI_Aint bytes =
      comm.rank() == 0 ? count * static_cast<MPI_Aint>(sizeof(std::uint64_t)) : 0;
  std::uint64_t* base = nullptr;
  check(MPI_Win_allocate(bytes, sizeof(std::uint64_t), MPI_INFO_NULL, comm.raw(), &base, &win_),
        "MPI_Win_allocate");
  if (comm.rank() == 0)
    for (int i = 0; i < count; ++i) base[i] = 0;
  comm.barrier();  // zeroed before anyone adds
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, win_), "MPI_Win_lock_all");
}

CounterWindow::~CounterWindow() {
  if (win_ == MPI_WIN_NULL) return;
  MPI_Win_unlock_all(win_);
  MPI_Win_free(&win_);
}

void CounterWindow::add(std::span<const std::uint64_t> deltas) {
  // One single-element atomic per counter: these map to the transport's
  // hardware atomics, so the target never has to make progress for them.
  std::uint64_t ignored = 0;
  for (std::size_t i = 0; i < deltas.size(); ++i)
    check(MPI_Fetch_and_op(&deltas[i], &ignored, MPI_UINT64_T, 0, static_cast<MPI_Aint>(i), MPI_SUM,
                           win_),
          "MPI_Fetch_and_op");
  check(MPI_Win_flush(0, win_), "MPI_Win_flush");
}

std::vector<std::uint64_t> CounterWindow::read() {
  std::vector<std::uint64_t> out(static_cast<std::size_t>(count_));
  for (int i = 0; i < count_; ++i)
    check(MPI_Fetch_and_op(nullptr, &out[static_cast<std::size_t>(i)], MPI_UINT64_T, 0, i,
                           MPI_NO_OP, win_),
          "MPI_Fetch_and_op");
  check(MPI_Win_flush(0, win_), "MPI_Win_flush");
  return out;
}

}  // namespace shardrun::mpi
