// GoogleTest under mpirun: every rank runs every test (tests are collective);
// only rank 0 prints, and the exit status is a failure if any rank failed.
#include <gtest/gtest.h>

#include "h5/h5_error.hpp"
#include "mpi/comm.hpp"
#include "mpi/mpi_env.hpp"

int main(int argc, char** argv) {
  shardrun::mpi::Environment mpi(argc, argv);
  shardrun::h5::silence_error_printing();
  ::testing::InitGoogleTest(&argc, argv);
  const shardrun::mpi::Comm world;
  if (world.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  return world.sum(static_cast<std::uint64_t>(failed)) != 0 ? 1 : 0;
}
