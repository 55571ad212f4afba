// The run orchestrator: options → plan → shards on every rank → reduce → output.
#pragma once

#include <string>

#include "core/run_options.hpp"
#include "mpi/comm.hpp"
#include "shardrun/job.hpp"

namespace shardrun {

// Collective: every rank calls it with the same job and options. Returns the
// exit status (kExitOk, kExitUsageError, kExitRuntimeError), the same on all
// ranks; rank 0 has printed the error, if any, as one line on stderr.
int run_job(const std::string& name, Job& job, const RunOptions& options, const mpi::Comm& comm);

}  // namespace shardrun
