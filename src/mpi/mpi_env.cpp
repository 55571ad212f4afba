#include "mpi/mpi_env.hpp"

#include <mpi.h>

#include "shardrun/errors.hpp"

namespace shardrun::mpi {

Environment::Environment(int& argc, char**& argv) {
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  // Errors come back as codes we turn into messages; no MPI handler aborts for us.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw RuntimeError("the MPI library does not provide MPI_THREAD_FUNNELED");
  }
}

Environment::~Environment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace shardrun::mpi
