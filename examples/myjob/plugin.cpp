// The plugin's one registration function: the jobs it adds to shardrun.
#include <shardrun/plugin.hpp>

#include "jobs.hpp"

SHARDRUN_PLUGIN(registry) {
  registry.add({"rms", "root mean square of each column of a dataset (example plugin)",
                [] { return std::make_unique<myjob::Rms>(); }, /*revision=*/1});
  registry.add({"scale", "map job: a * x + b for every value of a dataset, into /scaled",
                [] { return std::make_unique<myjob::Scale>(); }, /*revision=*/1});
}
