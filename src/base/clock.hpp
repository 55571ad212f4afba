// The one clock shard timings, run records and task records use.
#pragma once

namespace shardrun::base {

// Seconds since the Unix epoch: comparable between ranks and nodes (makespan).
double wall_seconds();

}  // namespace shardrun::base
