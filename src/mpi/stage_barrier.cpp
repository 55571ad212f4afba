#include "mpi/stage_barrier.hpp"

namespace shardrun::mpi {

StageBarriers::StageBarriers(const Comm& comm, int count) : count_(count) {
  check(MPI_Comm_dup(comm.raw(), &comm_), "MPI_Comm_dup");
}

StageBarriers::~StageBarriers() {
  // Every rank runs the same `count_` barriers, in order, whatever stopped it.
  // Nonblocking ones, as arrive() does: an MPI_Ibarrier never matches an
  // MPI_Barrier (the MPI standard on nonblocking collectives), and ranks
  // stopped at different stages would otherwise wait for each other for ever.
  if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  for (int b = arrived_; b < count_; ++b) {
    MPI_Ibarrier(comm_, &request_);
    MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  MPI_Comm_free(&comm_);
}

void StageBarriers::arrive() {
  check(MPI_Ibarrier(comm_, &request_), "MPI_Ibarrier");
  ++arrived_;
}

bool StageBarriers::passed() {
  if (request_ == MPI_REQUEST_NULL) return true;
  int done = 0;
  check(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), "MPI_Test");  // frees it when done
  return done != 0;
}

}  // namespace shardrun::mpi
