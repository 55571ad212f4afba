// The start-up study's reference: an MPI program that does nothing but start
// and end (MPI_Init, one barrier, MPI_Finalize).
#include <mpi.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return 0;
}
