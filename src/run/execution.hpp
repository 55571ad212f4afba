// The running phase of a run: every rank's shards through the executor,
// with progress, checkpoints and stop requests watched on every tick.
#pragma once

#include <exception>
#include <optional>

#include "checkpoint/checkpoint_session.hpp"
#include "core/done_ledger.hpp"
#include "core/executor.hpp"
#include "io/result_file.hpp"
#include "mpi/comm.hpp"
#include "run/run_options.hpp"
#include "run/run_setup.hpp"
#include "shardrun/job.hpp"

namespace shardrun::status {
class StatusServer;
}

namespace shardrun::run {

struct Execution {
  core::ExecutorStats stats;
  core::SourceStats source;
  double work = 0;  // Job::work() of the shards this rank ran
  std::exception_ptr error;
};

// What a checkpoint saves now: the ledger's done set, the shape's state.
checkpoint::Snapshot snapshot(const core::DoneLedger& ledger, const shapes::ShapeRunner& runner,
                              std::string how, std::vector<double> rank_speed = {});

// Collective. Runs this rank's shards: fill the pool with ready shards, reap
// each finished one into the shape and the ledger, and on every tick show
// progress (rank 0), save a checkpoint when due (rank 0) and stop on a
// signal, a halt or the job's end time (any rank asks, all stop). Rank 0
// returns once every rank is through its shards. Errors come back in
// Execution::error for the caller to settle.
// `status` (rank 0, or null): the live status service to publish to, and
// to take a stop request from.
Execution execute(const Job& job, RunSetup& setup, io::ResultFile& output, core::DoneLedger& ledger,
                  const RunOptions& options, const mpi::Comm& comm, double started,
                  std::optional<double> stop_at, status::StatusServer* status = nullptr);

}  // namespace shardrun::run
