// One job shape's part of a run (reduce, map, tasks): what a shard's work
// produces, what the main thread does with it, how results reach the output
// file, and how the shape differs on resume, at a stop and at the end. The
// orchestrator (src/run) talks to a shape only through this interface and
// never asks which shape it has.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/done_ledger.hpp"
#include "core/executor.hpp"
#include "core/shard_plan.hpp"
#include "io/result_file.hpp"
#include "mpi/comm.hpp"
#include "shardrun/job.hpp"

namespace shardrun::shapes {

struct JobResult {
  std::string summary;  // one line from the job
  std::string digest;   // of the combined result, when there is one
  int exit_status = 0;  // not 0: the run ended with failures (a farm's failed tasks)
};

// Rank 0 holds the run's combined state (a reduce job's folded partials, a
// farm's task records); other ranks hold what they finished since they last
// sent a delta to it (core::ShardResults, carried by the DoneLedger).
// Main thread only, except process() and halt_requested().
class ShapeRunner : public core::ShardResults {
 public:
  // --- properties ---
  // Threads the rank runs shards on, given what --threads chose.
  virtual int threads(int chosen) const { return chosen; }
  // Whether each thread wants a core of its own (false for a farm's slots,
  // which wait on child processes).
  virtual bool threads_want_cores() const { return true; }
  // Shards in flight per thread (core::ExecutorHooks::fixed_depth); 0: adaptive.
  virtual std::uint64_t shards_in_flight_per_thread() const { return 0; }
  // Whether the shape holds shards it has taken until it can start them (a
  // farm's tasks waiting for room in the rank's pool); then the executor asks
  // may_take() before it takes another, and set_wake() gives the shape the
  // function that makes it ask again (core::ExecutorHooks::may_take).
  virtual bool limits_taking() const { return false; }
  virtual bool may_take(std::uint64_t in_flight) const {
    (void)in_flight;
    return true;
  }
  virtual void set_wake(std::function<void()> wake) { (void)wake; }
  // Whether the working output file keeps what finished shards wrote
  // between runs (a map job's rows); otherwise a resume rebuilds it.
  virtual bool output_survives_runs() const { return false; }
  // Whether finish() can write the result again from the saved state alone
  // (a reduce job's folded partials), with no shard run again.
  virtual bool result_from_state() const { return false; }

  // --- a run ---
  // Collective, once, at set-up when the rank's threads are known: what the
  // runner must agree on with the other ranks (a farm's pools). Returns the
  // threads the rank runs shards on.
  virtual int prepare(int threads, const mpi::Comm& comm) {
    (void)comm;
    return threads;
  }
  // Collective, once, before any shard (map jobs create their outputs here).
  virtual void start(io::ResultFile& output) { (void)output; }
  // Worker threads, concurrently.
  virtual std::unique_ptr<core::ShardOutput> process(ShardContext& context) = 0;
  // Main thread, for every finished shard; the shard counts as done after it.
  virtual void done(core::ShardOutcome& outcome, io::ResultFile& output) = 0;
  Bytes take_delta() override { return {}; }
  void add_delta(std::span<const std::byte> delta) override { (void)delta; }
  // Rank 0: everything gathered so far, as add_delta() takes it back (what a
  // checkpoint saves as the shape's state).
  virtual Bytes save() const { return {}; }
  // Any thread: the shape asks to stop taking shards and to finish with what
  // it has (a farm's --halt-on-error). Such a run is not resumable.
  virtual bool halt_requested() const { return false; }
  // Rank 0: a task farm's attempts that failed so far (the status service).
  virtual std::uint64_t failed_attempts() const { return 0; }
  // Collective for a shape that redoes work (a farm), local otherwise: after
  // every pass over a stage's shards, with every rank through its shards of
  // the pass. `stopping`: this rank stops (a signal, an error, a halt).
  struct Redo {
    bool stop = false;                  // on any rank: no more passes anywhere
    bool more = false;                  // on any rank: every rank runs one more pass
    std::vector<std::uint64_t> shards;  // plan shard ids this rank runs in it
  };
  virtual Redo redo(const mpi::Comm& comm, bool stopping) {
    (void)comm;
    return {stopping, false, {}};
  }
  // Whether this rank stopped taking work because it looked broken (a farm's
  // quarantine): the run record names it.
  virtual bool quarantined() const { return false; }
  // Rank 0, with every shard in (or a halt) and the output file reopened.
  virtual JobResult finish(io::ResultFile& output) = 0;
  // Main thread, before the process exits with shards still running.
  virtual void abandon() {}
  // Before any shard: what process() asks, from any thread, to learn that the
  // run is stopping (a signal, the job's end time, another rank's stop).
  void set_stop_check(std::function<bool()> stopping) { stopping_ = std::move(stopping); }

  // --- resuming ---
  // Rank 0, from the state a checkpoint saved: clears in `done` the shards
  // to run again (a farm's --retry-failed), and returns what every rank
  // needs to know to run them (given to set_resume()).
  virtual Bytes plan_resume(std::span<const std::byte> saved, const core::ShardPlan& plan,
                            std::vector<std::uint8_t>& done) const {
    (void)saved;
    (void)plan;
    (void)done;
    return {};
  }
  // Every rank, before any shard: rank 0's plan_resume().
  virtual void set_resume(Bytes resume) { (void)resume; }

  // --- journals: what must not be lost between two checkpoints ---
  // A shape may journal finished work to files named from the checkpoint
  // ("<prefix>.<run>.<rank>"), so that a kill -9 loses none of it.
  // The journal files under `prefix` that exist now.
  virtual std::vector<std::string> journal_files(const std::string& prefix) const {
    (void)prefix;
    return {};
  }
  // Rank 0, resuming: `saved` (what the checkpoint holds) with what the
  // journals under `prefix` add, in save()'s encoding.
  virtual Bytes recover(Bytes saved, const std::string& prefix) const {
    (void)prefix;
    return saved;
  }
  // Every rank, before any shard: journal this run's work under `prefix`.
  virtual void open_journal(const std::string& prefix, int run, int rank) {
    (void)prefix;
    (void)run;
    (void)rank;
  }

 protected:
  bool stopping() const { return stopping_ && stopping_(); }

 private:
  std::function<bool()> stopping_;
};

// The runner for the job's shape. Every rank; local (no collective calls).
// Throws UsageError when the job's options do not suit the run.
std::unique_ptr<ShapeRunner> make_shape_runner(Job& job, const core::ShardPlan& plan, int rank);

}  // namespace shardrun::shapes
