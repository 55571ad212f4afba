// `pstats`: the built-in stats job, registered from a plugin.
#include <shardrun/plugin.hpp>

#include "stats.hpp"

SHARDRUN_PLUGIN(registry) {
  registry.add({"pstats", "the built-in stats job, from a plugin (bench/sdk.py)",
                [] { return std::make_unique<shardrun::jobs::StatsJob>(); }});
}
