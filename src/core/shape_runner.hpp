// One job shape's part of a run: what a shard's work produces, what the main
// thread does with it, and how the results reach the output file.
#pragma once

#include <memory>
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

class ShapeRunner {
 public:
  virtual ~ShapeRunner() = default;
  // Collective, once, before any shard (map jobs create their outputs here).
  virtual void start(io::ResultFile& output) { (void)output; }
  // Worker threads, concurrently.
  virtual std::unique_ptr<ShardOutput> process(ShardContext& context) = 0;
  // Main thread, for every finished shard; the shard counts as done after it.
  virtual void done(ShardOutcome& outcome, io::ResultFile& output) = 0;
  // Collective, after every shard ran: bring what rank 0 needs to rank 0.
  virtual void collect(const mpi::Comm& comm) = 0;
  // Rank 0, with the output file reopened: write the job's results.
  virtual JobResult finish(io::ResultFile& output) = 0;
};

// Throws UsageError for a shape this version cannot run.
std::unique_ptr<ShapeRunner> make_shape_runner(Job& job, std::uint64_t shard_count);

}  // namespace shardrun
