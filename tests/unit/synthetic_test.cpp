// The synthetic job's cost models (--cost).
#include "jobs/synthetic.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "shardrun/errors.hpp"

namespace shardrun::jobs {
namespace {

TEST(CostModel, ParsesTheDocumentedNamesAndRefusesTheRest) {
  EXPECT_EQ(CostModel::parse("sorted-desc", 50, 1).kind, CostModel::Kind::sorted_desc);
  EXPECT_EQ(CostModel::parse("pareto:2.5", 50, 1).alpha, 2.5);
  for (const char* bad : {"pareto:1", "pareto:", "pareto:inf", "pareto:nan", "pareto:2x", "zipf"})
    EXPECT_THROW(CostModel::parse(bad, 50, 1), UsageError) << bad;
}

// Found by tests/fuzz/cost_model: pareto:5E307 scaled the mean by
// mean_us * (alpha - 1), which overflowed to inf; a cost becomes a count of
// loop iterations. A huge alpha is nearly a constant cost of the mean.
TEST(CostModel, ParetoWithAHugeShapeCostsAboutTheMean) {
  for (double alpha : {5e307, 1.7e308}) {
    const CostModel model = CostModel::parse("pareto:" + std::to_string(alpha), 50, 7);
    for (std::uint64_t item : {0, 1, 99}) {
      const double cost = model.cost_us(item, 100);
      ASSERT_TRUE(std::isfinite(cost)) << alpha;
      EXPECT_NEAR(cost, 50, 1e-9);
    }
  }
}

}  // namespace
}  // namespace shardrun::jobs
