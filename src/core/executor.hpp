// Runs one rank's shards on a oneTBB work-stealing pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "balance/shard_source.hpp"
#include "core/shard_plan.hpp"
#include "shardrun/partial.hpp"

namespace shardrun {

// Seconds since the Unix epoch: comparable between ranks and nodes (makespan).
double wall_seconds();

// What one shard produced, for the main thread: a reduce job's partial, a map
// job's buffered output rows. Subclassed by the run's shape.
class ShardOutput {
 public:
  virtual ~ShardOutput() = default;
};

struct ShardOutcome {
  Shard shard;
  std::unique_ptr<ShardOutput> output;
  double start_s = 0;  // wall_seconds()
  double end_s = 0;
};

struct ExecutorStats {
  std::uint64_t shards = 0;
  std::uint64_t items = 0;
  double busy_s = 0;         // sum of shard durations
  double first_start_s = 0;  // 0 when no shard ran
  double last_end_s = 0;
  double longest_shard_s = 0;
};

// The loop reads like a build loop: fill the pool with ready shards, reap one
// result, tick (progress), repeat until the source runs dry. Only the calling
// (main) thread talks to the source and sees outcomes, so MPI stays on one
// thread. Shard work runs on `threads` TBB workers; a job may nest TBB
// parallelism inside a shard. The first exception thrown by a shard (or by the
// source, on_done or tick) stops the taking of shards, tells the source to
// abandon (so other ranks do not wait for this one), and is rethrown once the
// shards in flight have finished.
class Executor {
 public:
  using Work = std::function<std::unique_ptr<ShardOutput>(const Shard&)>;
  using OnDone = std::function<void(ShardOutcome&&)>;
  using Tick = std::function<void()>;

  explicit Executor(int threads) : threads_(threads) {}

  ExecutorStats run(const ShardPlan& plan, ShardSource& source, const Work& work,
                    const OnDone& on_done, const Tick& tick,
                    std::chrono::milliseconds tick_interval);

 private:
  int threads_;
};

}  // namespace shardrun
