// The jobs built into shardrun, by name.
#pragma once

#include "shardrun/registry.hpp"

namespace shardrun::jobs {

// A registry holding every built-in job.
Registry builtin_registry();

}  // namespace shardrun::jobs
