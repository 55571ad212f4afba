#include "run/progress.hpp"

#include <gtest/gtest.h>

namespace shardrun::run {
namespace {

TEST(Progress, DataJobsShowPercentShardsRateAndEta) {
  const std::string line = format_progress({.shards_done = 1024,
                                            .shards_total = 4096,
                                            .items_done = 250'000'000,
                                            .bytes_per_item = 8,
                                            .elapsed_s = 1.0});
  EXPECT_EQ(line, " 25.0% 1024/4096 shards  2.00 GB/s  ETA 0:03");
}

TEST(Progress, IndexJobsShowItemsPerSecond) {
  const std::string line =
      format_progress({.shards_done = 1, .shards_total = 2, .items_done = 5000, .elapsed_s = 2.0});
  EXPECT_EQ(line, " 50.0% 1/2 shards  2.5e+03 items/s  ETA 0:02");
}

TEST(Progress, NoRateBeforeTheFirstShard) {
  EXPECT_EQ(format_progress({.shards_total = 10}), "  0.0% 0/10 shards");
}

}  // namespace
}  // namespace shardrun::run
