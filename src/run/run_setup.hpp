// What a run knows before its first shard: threads, plan, shape runner, what
// is left to do, and (rank 0) the open checkpoint.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_session.hpp"
#include "core/shard_plan.hpp"
#include "io/dataset_reader.hpp"
#include "io/result_file.hpp"
#include "mpi/comm.hpp"
#include "run/run_options.hpp"
#include "shapes/shape_runner.hpp"
#include "shardrun/job.hpp"

namespace shardrun::run {

struct RunSetup {
  std::string job_name;
  int threads = 1;
  std::string balance;  // the strategy this run uses (--balance, or static without windows)
  std::unique_ptr<io::DatasetReader> reader;  // dataset domains only
  std::optional<core::ShardPlan> plan;
  std::vector<double> weights;  // relative rank speeds for the initial blocks; empty: equal
  std::uint64_t item_bytes = 0;
  std::string input;  // "FILE.h5:/path", or empty
  std::unique_ptr<shapes::ShapeRunner> runner;
  std::unique_ptr<checkpoint::CheckpointSession> checkpoint;  // rank 0 of a checkpointed run
  std::vector<std::uint64_t> todo;                            // shard ids still to run, in order
  std::vector<std::uint8_t> resumed_done;  // rank 0: the checkpoint's done set, as resumed
  bool complete = false;                   // the checkpoint says: nothing to do
  std::string run_id;                      // rank 0: names this run and the result it writes
  io::ResultFile::Working output;
};

// Local checks and set-up on every rank: no collective calls, so a rank that
// fails here cannot leave the others waiting (the caller settles right after).
RunSetup prepare(Job& job, const RunOptions& options, const mpi::Comm& comm);

// Collective, after prepare(). Every rank built the plan from what it sees of
// the input: a file that changed while the ranks started, or a path that
// names other files on another node, would make them run different plans
// silently. Throws UsageError on the ranks that disagree with rank 0.
void check_ranks_agree(const Job& job, const RunSetup& setup, const mpi::Comm& comm);

// Collective, after prepare() succeeded everywhere: rank 0 opens (or starts)
// the checkpoint and tells every rank, in one broadcast, what is left to do.
void plan_work(const std::string& name, Job& job, const RunOptions& options, const mpi::Comm& comm,
               RunSetup& setup);

}  // namespace shardrun::run
