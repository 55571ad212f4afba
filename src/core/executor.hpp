// Runs one rank's shards on a oneTBB work-stealing pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/shard_source.hpp"
#include "shardrun/shard.hpp"

namespace shardrun::core {

// What one shard produced, for the main thread: a reduce job's partial, a map
// job's buffered output rows. Subclassed by the run's shape.
class ShardOutput {
 public:
  virtual ~ShardOutput() = default;
  // A stop cut the shard short: what it produced is taken, but the shard is
  // not done (a resume runs it again, and the shape skips what it finished).
  bool interrupted = false;
};

struct ShardOutcome {
  Shard shard;
  std::unique_ptr<ShardOutput> output;
  double start_s = 0;  // base::wall_seconds()
  double end_s = 0;
  std::uint16_t thread = 0;  // the worker thread that ran it
  bool stolen = false;       // it came in work this rank stole
};

struct ExecutorStats {
  std::uint64_t shards = 0;
  double busy_s = 0;         // sum of shard durations
  double first_start_s = 0;  // 0 when no shard ran
  double last_end_s = 0;
  double longest_shard_s = 0;
  bool stopped = false;         // stop_requested() ended the loop
  std::uint64_t abandoned = 0;  // shards still running when the stop timeout expired
};

struct ExecutorHooks {
  // Worker threads: the shard's work.
  std::function<std::unique_ptr<ShardOutput>(const Shard&)> work;
  // Main thread: each finished shard, in completion order.
  std::function<void(ShardOutcome&&)> on_done;
  // Main thread: at least every tick_interval (progress, messages, checkpoints).
  std::function<void()> tick;
  std::chrono::milliseconds tick_interval{500};
  // Main thread, every loop: true ends the taking of shards (a signal).
  std::function<bool()> stop_requested = [] { return false; };
  // After a stop, how long shards in flight may run before they are abandoned.
  double stop_timeout_s = 0.5;
  // Main thread, at least every poll_interval while it waits (none when
  // empty): lets the MPI library progress remote operations that wait on
  // this rank (one-sided atomics over TCP complete only then).
  std::function<void()> poll;
  std::chrono::microseconds poll_interval{200};
  // Shards in flight per thread; 0: as deep as shard times suggest
  // (QueueDepth). 1 for a farm: a task waits for its resources only once it
  // is next on a thread, so the rank's ready tasks are exactly those waiting
  // in its pool, and queued ones stay in reach of thieves.
  std::uint64_t fixed_depth = 0;
  // Main thread, before it asks the source for more (none when empty):
  // whether the shape can start another shard now, given the shards in
  // flight. False makes the loop take one shard at a time, and only once
  // this says yes (a farm: every task it took holds its resources, so none
  // waits in the rank's pool where no thief can reach it).
  std::function<bool(std::uint64_t in_flight)> may_take;
  // Called once, before any shard, with a function any thread may call to
  // make the loop ask may_take() again.
  std::function<void(std::function<void()>)> share_wake;
};

// The loop reads like a build loop: fill the pool with ready shards, reap one
// result, tick, repeat until the source runs dry. Only the calling (main)
// thread talks to the source and sees outcomes, so MPI stays on one thread.
// The source hands out positions 0..N-1 of the run's to-do list; shard_at maps
// a position to its shard. Shard work runs on `threads` TBB workers; a job may
// nest TBB parallelism inside a shard. The first exception thrown by a shard
// (or by the source or a hook) stops the taking of shards, tells the source
// to abandon (so other ranks do not wait for this one), and is rethrown once
// the shards in flight have finished.
//
// After a stop request, shards queued but not started are skipped (they stay
// to do); the loop waits stop_timeout_s for shards running,
// then returns with them still running (stats.abandoned): their work function
// and what it references must then outlive the process's last instant (the
// caller exits without unwinding).
class Executor {
 public:
  explicit Executor(int threads) : threads_(threads) {}

  ExecutorStats run(ShardSource& source, const std::function<Shard(std::uint64_t)>& shard_at,
                    const ExecutorHooks& hooks);

 private:
  int threads_;
};

}  // namespace shardrun::core
