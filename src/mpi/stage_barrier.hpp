// A sequence of nonblocking barriers on a communicator of their own: a rank
// arrives at the next one without waiting, and learns later that every rank
// has arrived (a farm's stages).
#pragma once

#include <mpi.h>

#include "mpi/comm.hpp"

namespace shardrun::mpi {

// Construction and destruction are collective. The destructor first arrives
// at and completes every barrier of the `count` this rank has not: ranks
// that stop at different barriers still leave together. Main thread only.
// Not copyable.
class StageBarriers {
 public:
  StageBarriers(const Comm& comm, int count);
  ~StageBarriers();
  StageBarriers(const StageBarriers&) = delete;
  StageBarriers& operator=(const StageBarriers&) = delete;

  // Arrives at the next barrier, without waiting.
  void arrive();
  // True once every rank has arrived at the barrier this rank arrived at
  // last (and before the first arrive()).
  bool passed();

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int count_;
  int arrived_ = 0;  // barriers this rank arrived at
  MPI_Request request_ = MPI_REQUEST_NULL;
};

}  // namespace shardrun::mpi
