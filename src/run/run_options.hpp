// Every tunable of `shardrun run`, with its default. Filled by the CLI only.
#pragma once

#include <cstdint>
#include <string>

#include "core/shard_plan.hpp"

namespace shardrun::run {

struct RunOptions {
  std::string output;              // --output FILE.h5 (required)
  core::PlanRequest plan;          // --shards N | --shard-rows R (default: by shard size)
  int threads = 0;                 // --threads; 0: SLURM_CPUS_PER_TASK or the usable cores
  std::string balance = "steal";   // --balance: steal | counter | static
  std::string weights;             // --weights: relative rank speeds, "1,2" or a file
  double progress_every_s = 30;    // --progress-every, for batch logs
  bool quiet = false;              // --quiet: no progress line (the summary stays)
  std::string checkpoint;          // --checkpoint FILE.h5: save progress, resume from it
  double checkpoint_every_s = 60;  // --checkpoint-every
  bool restart = false;            // --restart: discard an existing checkpoint
  bool checkpoint_keep = true;     // --checkpoint-keep yes|no, once the job is complete
  double stop_timeout_s = 0.5;     // --stop-timeout: grace for shards in flight at a stop
  double stop_before_s = 60;       // --stop-before: stop this long before the job's end time
  std::string status;              // --status ADDR:PORT: the live status service (rank 0)
  bool status_public = false;      // --status-public: allow a non-loopback ADDR
  // From the registry: the job's revision, and a plugin's file and digest
  // ("r1", "r3 plugin /opt/jobs/librms.so xxh3 …"), in the fingerprint and /run.
  std::string job_revision = "r1";
  std::string job_origin = "built in";
};

}  // namespace shardrun::run
