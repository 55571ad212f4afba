// The run orchestrator: options → plan → shards on every rank → results.
// The top room of the engine: it composes core, balance, checkpoint and the
// job shapes, and none of them knows it.
#pragma once

#include <string>

#include "mpi/comm.hpp"
#include "run/run_options.hpp"
#include "shardrun/job.hpp"

namespace shardrun::run {

// Collective: every rank calls it with the same job and options. Returns the
// exit status, the same on all ranks: kExitOk, kExitRuntimeError,
// kExitUsageError, kExitTasksFailed (a task farm's tasks failed), or
// kExitStopped (stopped by a signal or the job's end time, with a checkpoint
// to resume from). Rank 0 has printed the error, if any, as one line on
// stderr. May end the process itself when shards were still running at a
// stop (docs/design.md, promise 6).
int run_job(const std::string& name, Job& job, const RunOptions& options, const mpi::Comm& comm);

}  // namespace shardrun::run
