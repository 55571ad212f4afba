// The end of a run, after its shards: the run record, then either a stop
// (final checkpoint, exit 75) or the results (finish, commit, summary).
#pragma once

#include <optional>
#include <string>

#include "core/done_ledger.hpp"
#include "io/result_file.hpp"
#include "mpi/comm.hpp"
#include "run/execution.hpp"
#include "run/run_options.hpp"
#include "run/run_setup.hpp"

namespace shardrun::run {

struct RunTimes {
  double started = 0;             // Unix time rank 0 began the run
  std::optional<double> stop_at;  // rank 0: the --stop-before instant, if any
};

// Collective, after execute() ended without an error on any rank. Returns
// the run's exit status, the same on every rank; when shards are still
// running on worker threads it ends the process itself (without unwinding).
int end_run(const std::string& name, const Job& job, RunSetup& setup, io::ResultFile& output,
            core::DoneLedger& ledger, const RunOptions& options, const mpi::Comm& comm,
            const Execution& run, const RunTimes& times);

}  // namespace shardrun::run
