// The built-in jobs, by name.
#include "histogram.hpp"
#include "shardrun/registry.hpp"
#include "stats.hpp"

namespace shardrun {

Registry builtin_registry() {
  Registry registry;
  registry.add({"stats", "count, sum, mean, variance, min, max and NaNs per column of a dataset",
                [] { return std::make_unique<jobs::StatsJob>(); }});
  registry.add({"histogram",
                "counts in equal bins over --range per column of a dataset (numpy semantics)",
                [] { return std::make_unique<jobs::HistogramJob>(); }});
  return registry;
}

}  // namespace shardrun
