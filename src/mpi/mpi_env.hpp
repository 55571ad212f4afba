// MPI initialisation and finalisation as a scope guard.
#pragma once

#include <string>

namespace shardrun::mpi {

// How the job's ranks reach each other's one-sided windows, as the
// Environment chose it (docs/platform.md).
struct Transport {
  int nodes = 1;          // hosts the job spans (ranks that share memory count once)
  std::string one_sided;  // the one-sided setup, for the run record
  // Remote atomics complete only when the target rank enters MPI (no
  // hardware atomics: osc/pt2pt over TCP): waiting main threads must poll.
  bool needs_target_progress = false;
  // Whether a window spanning every rank could be opened at all. When not
  // (a one-sided component forced that cannot span the hosts), the run
  // balances statically and counts progress by messages.
  bool windows_work = true;
};

// Initialises MPI with MPI_THREAD_FUNNELED (only the main thread calls MPI:
// TBB workers hand results to it) and finalises it on destruction. Under
// mpirun the process also dies with its launcher (PR_SET_PDEATHSIG). Throws
// RuntimeError when the library cannot provide that level. Before MPI_Init
// it picks MCA defaults that work here and on clusters (each one the user
// set wins): no single-copy shared memory (the CAS crash), ob1 without a
// fabric, and osc sm,pt2pt without a fabric (osc/rdma cannot open a window
// across hosts over TCP). Collective. Not copyable.
class Environment {
 public:
  Environment(int& argc, char**& argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // What the constructor chose and found (after MPI_Init).
  static const Transport& transport();
};

// Finalises MPI and ends the process without unwinding: for a stop that
// leaves shards running on worker threads, whose data must stay alive.
[[noreturn]] void finalize_and_exit(int status);

}  // namespace shardrun::mpi
