// MPI initialisation and finalisation as a scope guard.
#pragma once

namespace shardrun::mpi {

// Initialises MPI with MPI_THREAD_FUNNELED (only the main thread calls MPI:
// TBB workers hand results to it) and finalises it on destruction. Under
// mpirun the process also dies with its launcher (PR_SET_PDEATHSIG). Throws
// RuntimeError when the library cannot provide that level. Not copyable.
class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
};

// Finalises MPI and ends the process without unwinding: for a stop that
// leaves shards running on worker threads, whose data must stay alive.
[[noreturn]] void finalize_and_exit(int status);

}  // namespace shardrun::mpi
