// A farm stopped mid-stage leaves its ranks at different barriers; the
// barriers' destructor must still let every rank leave.
#include "mpi/stage_barrier.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace shardrun::mpi {
namespace {

TEST(StageBarriers, RanksThatArrivedAtDifferentBarriersStillLeaveTogether) {
  const Comm world;
  for (int count = 1; count <= 3; ++count) {
    StageBarriers barriers(world, count);
    // Rank r has arrived at min(r, count) barriers (nonblocking) when it stops.
    for (int b = 0; b < std::min(world.rank(), count); ++b) barriers.arrive();
  }
  SUCCEED();  // a hang here is the failure (CTest's timeout)
}

TEST(StageBarriers, PassedOnlyOnceEveryRankHasArrived) {
  const Comm world;
  StageBarriers barriers(world, 2);
  EXPECT_TRUE(barriers.passed());  // before the first arrive
  if (world.rank() == 0) {
    barriers.arrive();
    // Nobody else arrives until rank 0 says so via a collective below.
    if (world.size() > 1) {
      EXPECT_FALSE(barriers.passed());
    }
  }
  world.sum(1);  // every rank past rank 0's check
  if (world.rank() != 0) barriers.arrive();
  while (!barriers.passed()) {
  }
}

}  // namespace
}  // namespace shardrun::mpi
