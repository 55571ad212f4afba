// Comm's collectives that the farm's redo passes rely on, on 1..4 ranks.
#include "mpi/comm.hpp"

#include <gtest/gtest.h>

#include <string>

namespace shardrun::mpi {
namespace {

// Rank r's text: r copies of the letter 'a' + r (rank 0 sends nothing).
std::string text_of(int rank) {
  return std::string(static_cast<std::size_t>(rank), char('a' + rank));
}

TEST(Comm, AllGatherGivesEveryRankEveryTextInRankOrder) {
  const Comm world;
  const std::vector<std::string> all = world.all_gather(text_of(world.rank()));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(world.size()));
  for (int r = 0; r < world.size(); ++r) EXPECT_EQ(all[r], text_of(r)) << "rank " << r;
}

TEST(Comm, AllGatherOfNothingEverywhereIsEmptyTexts) {
  const Comm world;
  const std::vector<std::string> all = world.all_gather("");
  ASSERT_EQ(all.size(), static_cast<std::size_t>(world.size()));
  for (const std::string& t : all) EXPECT_TRUE(t.empty());
}

}  // namespace
}  // namespace shardrun::mpi
