#include "shapes/shape_runner.hpp"

#include "shapes/map_runner.hpp"
#include "shapes/reduce_runner.hpp"
#include "shapes/task_runner.hpp"

namespace shardrun::shapes {

// The one place that asks which shape a job has.
std::unique_ptr<ShapeRunner> make_shape_runner(Job& job, const core::ShardPlan& plan, int rank) {
  if (auto* reduce = dynamic_cast<ReduceJob*>(&job))
    return std::make_unique<ReduceRunner>(*reduce, plan.count());
  if (auto* map = dynamic_cast<MapJob*>(&job)) return std::make_unique<MapRunner>(*map);
  if (auto* tasks = dynamic_cast<TaskJob*>(&job))
    return std::make_unique<TaskRunner>(*tasks, plan, rank);
  throw UsageError("job is neither a reduce, a map nor a task job");
}

}  // namespace shardrun::shapes
