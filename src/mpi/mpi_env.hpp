// MPI initialisation and finalisation as a scope guard.
#pragma once

namespace shardrun::mpi {

// Initialises MPI with MPI_THREAD_FUNNELED (only the main thread calls MPI:
// TBB workers hand results to it) and finalises it on destruction. Throws
// RuntimeError when the library cannot provide that level. Not copyable.
class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
};

}  // namespace shardrun::mpi
