// One job shape's part of a run: what a shard's work produces, what the main
// thread does with it, and how the results reach the output file.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/executor.hpp"
#include "io/result_file.hpp"
#include "mpi/comm.hpp"
#include "shardrun/job.hpp"

namespace shardrun {

struct JobResult {
  std::string summary;  // one line from the job
  std::string digest;   // of the combined result, when there is one
  int exit_status = 0;  // kExitTasksFailed when tasks failed
};

// Rank 0 holds the run's combined state (a reduce job's folded partials);
// other ranks hold what they finished since they last sent a delta to it.
class ShapeRunner {
 public:
  virtual ~ShapeRunner() = default;
  // Collective, once, before any shard (map jobs create their outputs here).
  virtual void start(io::ResultFile& output) { (void)output; }
  // Worker threads, concurrently.
  virtual std::unique_ptr<ShardOutput> process(ShardContext& context) = 0;
  // Main thread, for every finished shard; the shard counts as done after it.
  virtual void done(ShardOutcome& outcome, io::ResultFile& output) = 0;
  // Non-root ranks: what done() gathered since the last call, for rank 0.
  virtual Bytes take_delta() { return {}; }
  // Rank 0: folds in another rank's delta, or a checkpoint's saved state.
  virtual void add_delta(std::span<const std::byte> delta) { (void)delta; }
  // Rank 0: everything gathered so far, as add_delta() takes it back.
  virtual Bytes save() const { return {}; }
  // Rank 0, with every shard in and the output file reopened: the results.
  // A task farm halted by a failure finishes with shards missing.
  virtual JobResult finish(io::ResultFile& output) = 0;

  // Rank 0, resuming: per item, 0 to run it, kSkipItem to skip it, k to run
  // it after k earlier attempts; empty when the shape keeps no per-item state
  // (a done shard is then simply done). Shards holding an item to run are run
  // again.
  static constexpr std::uint8_t kSkipItem = 255;
  virtual std::string resume_items(std::span<const std::byte> saved) const {
    (void)saved;
    return {};
  }
  // Every rank, resuming: rank 0's resume_items().
  virtual void set_resume_items(std::string items) { (void)items; }
  // Any thread: the job asks to stop taking shards (a task farm's --halt-on-error).
  virtual bool halt_requested() const { return false; }
  // Main thread, before the process exits with shards still running.
  virtual void abandon() {}
};

std::unique_ptr<ShapeRunner> make_shape_runner(Job& job, std::uint64_t shard_count,
                                               std::uint64_t items, int rank);

}  // namespace shardrun
