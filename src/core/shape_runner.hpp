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
  virtual JobResult finish(io::ResultFile& output) = 0;
};

// Throws UsageError for a shape this version cannot run.
std::unique_ptr<ShapeRunner> make_shape_runner(Job& job, std::uint64_t shard_count);

}  // namespace shardrun
