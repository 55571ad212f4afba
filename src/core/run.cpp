#include "core/run.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "balance/shard_source.hpp"
#include "balance/steal_source.hpp"
#include "balance/weights.hpp"
#include "checkpoint/checkpoint_session.hpp"
#include "checkpoint/stop_signals.hpp"
#include "core/done_ledger.hpp"
#include "core/executor.hpp"
#include "core/host_name.hpp"
#include "core/job_end_time.hpp"
#include "core/shape_runner.hpp"
#include "core/shard_contexts.hpp"
#include "core/shard_plan.hpp"
#include "core/threads.hpp"
#include "h5/h5_file.hpp"
#include "io/dataset_reader.hpp"
#include "io/durable_file.hpp"
#include "io/result_file.hpp"
#include "mpi/atomic_window.hpp"
#include "mpi/mpi_env.hpp"
#include "report/progress.hpp"
#include "report/run_record.hpp"

namespace shardrun {
namespace {

struct Setup {
  int threads = 1;
  std::unique_ptr<io::DatasetReader> reader;
  std::optional<ShardPlan> plan;
  std::vector<double> weights;
  std::uint64_t item_bytes = 0;
  std::string input;
  std::unique_ptr<ShapeRunner> runner;
  std::unique_ptr<CheckpointSession> checkpoint;  // rank 0 of a checkpointed run
  std::vector<std::uint64_t> todo;                // shard ids still to run, in order
  std::vector<std::uint8_t> resumed_done;         // rank 0: the checkpoint's done set, as resumed
  bool complete = false;                          // the checkpoint says: nothing to do
  io::ResultFile::Working output;
};

// Runs f and returns what it threw, if anything.
template <class F>
std::exception_ptr attempt(F&& f) {
  try {
    f();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

// Rank 0 opens (or starts) the checkpoint; every rank learns what is done.
// Rank 0's errors are broadcast too, so no rank waits in a broadcast that
// rank 0 never reaches.
void resume(const std::string& name, Job& job, const RunOptions& options, const mpi::Comm& comm,
            Setup& setup) {
  std::string done;  // one byte per shard, from rank 0
  std::string weights, complete, output_exists, failed, items;
  std::exception_ptr error;
  if (comm.rank() == 0) {
    error = attempt([&] {
      namespace fs = std::filesystem;
      std::error_code same;
      if (fs::absolute(options.checkpoint).lexically_normal() ==
              fs::absolute(options.output).lexically_normal() ||
          fs::equivalent(options.checkpoint, options.output, same))
        throw UsageError("--checkpoint: " + options.checkpoint + " is the output file");
      RunEntry run;
      run.started_s = wall_seconds();
      run.ranks = static_cast<std::uint64_t>(comm.size());
      run.threads = static_cast<std::uint64_t>(setup.threads);
      run.host = host_name();
      if (const char* id = std::getenv("SLURM_JOB_ID")) run.slurm_job_id = id;
      const Fingerprint now =
          Fingerprint::of(name, job.parameters(), setup.reader.get(), *setup.plan, options.plan);
      setup.checkpoint =
          std::make_unique<CheckpointSession>(options.checkpoint, options.restart, now, run);
      const CheckpointState& state = setup.checkpoint->state();
      done.assign(state.done.begin(), state.done.end());
      complete = state.complete ? "1" : "";
      // Items to run again in shards already done (a task farm's --retry-failed).
      items = setup.runner->resume_items(state.partials);
      if (!items.empty())
        for (std::uint64_t id = 0; id < setup.plan->count(); ++id) {
          const Shard shard = setup.plan->shard(id);
          if (done[id] &&
              std::any_of(items.begin() + static_cast<std::ptrdiff_t>(shard.begin),
                          items.begin() + static_cast<std::ptrdiff_t>(shard.end), [](char c) {
                            return static_cast<std::uint8_t>(c) != ShapeRunner::kSkipItem;
                          })) {
            done[id] = 0;
            complete.clear();
          }
        }
      setup.resumed_done.assign(done.begin(), done.end());
      // Initial blocks sized by the speeds the last run measured on as many ranks.
      const auto& runs = state.runs;
      if (options.weights.empty() && runs.size() >= 2) {
        const std::vector<double>& speed = runs[runs.size() - 2].rank_speed;
        if (speed.size() == static_cast<std::size_t>(comm.size()) &&
            std::all_of(speed.begin(), speed.end(), [](double s) { return s > 0; }))
          for (double s : speed) weights += std::to_string(s) + ",";
      }
      const std::string working = options.output + ".partial";
      setup.checkpoint->set_output_working(working);
      // Only a map job's rows live in the working file between runs, and only
      // once some are done (the file was flushed before any shard ran);
      // anything else there is rebuilt from scratch.
      const bool map_rows_done = job.shape() == JobShape::map && !options.restart &&
                                 std::count(state.done.begin(), state.done.end(), 1) > 0;
      std::error_code ec;
      const bool keep = map_rows_done && fs::exists(working, ec) && h5::File::is_hdf5(working);
      if (map_rows_done && !keep && !state.complete)
        throw UsageError("--checkpoint: " + options.checkpoint +
                         " records rows already written to " + working +
                         ", which is missing or damaged; use --restart to start over");
      if (!keep) fs::remove(working, ec);
      output_exists = keep ? "1" : "";
    });
    if (error) failed = "1";
  }
  if (!comm.broadcast(failed).empty()) {
    if (error) std::rethrow_exception(error);
    throw UsageError("rank 0 could not open the checkpoint");  // rank 0's message wins
  }
  done = comm.broadcast(done);
  setup.complete = !comm.broadcast(complete).empty();
  weights = comm.broadcast(weights);
  output_exists = comm.broadcast(output_exists);
  setup.runner->set_resume_items(comm.broadcast(items));
  if (!weights.empty()) setup.weights = parse_weights(weights, comm.size());
  setup.todo.clear();
  for (std::uint64_t id = 0; id < setup.plan->count(); ++id)
    if (done[id] == 0) setup.todo.push_back(id);
  setup.output.path = options.output + ".partial";
  setup.output.existing = !output_exists.empty();
  setup.output.temporary = false;  // kept for the resume
}

// Local checks and set-up: no collective calls, so a rank that fails here
// cannot leave the others waiting (the caller settles errors right after).
Setup prepare(Job& job, const RunOptions& options, const mpi::Comm& comm) {
  Setup setup;
  setup.threads = options.threads > 0 ? options.threads : default_threads();
  if (const auto* tasks = dynamic_cast<const TaskJob*>(&job);
      tasks && tasks->task_options().slots > 0)
    setup.threads = tasks->task_options().slots;
  const auto& strategies = balance_strategies();
  if (std::find(strategies.begin(), strategies.end(), options.balance) == strategies.end())
    throw UsageError("--balance: unknown strategy '" + options.balance + "'");
  if (!options.weights.empty()) setup.weights = parse_weights(options.weights, comm.size());
  const DomainSpec domain = job.domain();
  std::uint64_t items = 0;
  std::uint64_t default_shard_items = 1;
  std::string input_file;
  if (const auto* dataset = std::get_if<DatasetDomain>(&domain)) {
    const io::DatasetRef ref = io::parse_dataset_ref(dataset->input, "--input");
    setup.reader = std::make_unique<io::DatasetReader>(ref, "--input");
    job.prepare(setup.reader->info());
    items = setup.reader->info().rows;
    setup.item_bytes = setup.reader->row_bytes();
    default_shard_items = ShardPlan::shard_items_for_bytes(setup.item_bytes);
    setup.input = ref.text();
    input_file = ref.file;
  } else {
    const auto& index = std::get<IndexDomain>(domain);
    items = index.items;
    default_shard_items = index.default_shard_items;
    setup.item_bytes = static_cast<std::uint64_t>(index.bytes_per_item);
  }
  if (comm.rank() == 0) io::check_output_path(options.output, "--output", input_file);
  if (comm.rank() == 0 && !options.checkpoint.empty())
    io::check_output_path(options.checkpoint, "--checkpoint", input_file);
  setup.plan.emplace(items, options.plan, default_shard_items);
  if (options.balance == "steal" && setup.plan->count() >= StealSource::kMaxShards)
    throw UsageError("--balance steal: at most 2^32-1 shards; use fewer (--shards)");
  setup.runner = make_shape_runner(job, setup.plan->count(), items, comm.rank());
  job.setup_rank(comm.rank(), comm.size());
  return setup;
}

// Collective, after prepare() succeeded everywhere: what is left to do.
void plan_work(const std::string& name, Job& job, const RunOptions& options, const mpi::Comm& comm,
               Setup& setup) {
  if (!options.checkpoint.empty()) {
    resume(name, job, options, comm, setup);
    return;
  }
  setup.todo.resize(setup.plan->count());
  for (std::uint64_t id = 0; id < setup.todo.size(); ++id) setup.todo[id] = id;
  setup.output = io::ResultFile::temporary_name(options.output, comm);
}

// Collective: every rank says how its last phase ended; all learn the first
// failure (rank 0 prints it).
std::optional<mpi::RankError> settle_error(const mpi::Comm& comm, std::exception_ptr error) {
  int status = kExitOk;
  std::string message;
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const UsageError& e) {
      status = kExitUsageError;
      message = e.what();
    } catch (const std::exception& e) {
      status = kExitRuntimeError;
      message = e.what();
    } catch (...) {
      status = kExitRuntimeError;
      message = "unknown error";
    }
  }
  std::optional<mpi::RankError> first = comm.first_error(status, message);
  if (first && comm.rank() == 0) {
    const bool name_rank = first->exit_status == kExitRuntimeError && comm.size() > 1;
    std::fprintf(stderr, "shardrun: error: %s%s\n",
                 name_rank ? ("rank " + std::to_string(first->rank) + ": ").c_str() : "",
                 first->message.c_str());
  }
  return first;
}

int settle(const mpi::Comm& comm, std::exception_ptr error) {
  const auto first = settle_error(comm, error);
  return first ? first->exit_status : kExitOk;
}

// Words on rank 0 every rank updates: progress, the end of execution, a stop.
enum Counter { kShardsDone, kItemsDone, kRanksFinished, kStop, kCounters };

struct Execution {
  ExecutorStats stats;
  SourceStats source;
  double work = 0;
  std::exception_ptr error;
};

// Runs this rank's shards. Rank 0 also shows everyone's progress and saves
// checkpoints; every rank streams what it finished to rank 0 and watches for
// a stop (a signal on any rank).
Execution execute(const Job& job, Setup& setup, io::ResultFile& output, DoneLedger& ledger,
                  const RunOptions& options, const mpi::Comm& comm, double started,
                  std::optional<double> stop_at) {
  const bool root = comm.rank() == 0;
  Progress progress(root ? choose_progress_mode(options.quiet) : ProgressMode::off,
                    options.progress_every_s);
  mpi::AtomicWindow counters(comm, root ? kCounters : 0);
  std::vector<std::uint64_t> now(kCounters, 0);
  const std::uint64_t resumed = setup.plan->count() - setup.todo.size();
  auto state = [&]() -> ProgressState {
    return {resumed + now[kShardsDone], setup.plan->count(), now[kItemsDone],
            static_cast<double>(setup.item_bytes), wall_seconds() - started};
  };
  bool stop = false, stop_sent = false;
  auto watch = [&] {  // every tick, on every rank
    const bool time_up = stop_at && wall_seconds() >= *stop_at;
    if ((StopSignals::received() || setup.runner->halt_requested() || time_up) && !stop_sent) {
      counters.fetch_add(0, kStop, 1);
      stop_sent = true;
    }
    stop = stop || counters.load(0, kStop) > 0;
    ledger.tick();
    if (!root) return;
    for (int c = 0; c < kCounters; ++c) now[c] = counters.load(0, c);
    progress.update(state());
    if (setup.checkpoint)
      setup.checkpoint->save_if_due(ledger, *setup.runner, options.checkpoint_every_s);
  };
  if (root) progress.update(state());

  Execution out;
  std::unique_ptr<ShardSource> source;
  out.error = attempt([&] {
    source = make_shard_source(options.balance, comm, setup.todo.size(), setup.weights);
    ExecutorHooks hooks;
    hooks.work = [&](const Shard& shard) -> std::unique_ptr<ShardOutput> {
      if (setup.reader) {
        DatasetShardContext context(*setup.reader, shard);
        return setup.runner->process(context);
      }
      IndexShardContext context(shard);
      return setup.runner->process(context);
    };
    hooks.on_done = [&](ShardOutcome&& outcome) {
      setup.runner->done(outcome, output);
      ledger.record(outcome);
      out.work += job.work(outcome.shard);
      counters.fetch_add(0, kShardsDone, 1);
      counters.fetch_add(0, kItemsDone, outcome.shard.items());
    };
    hooks.tick = watch;
    const bool checkpointing = !options.checkpoint.empty();
    hooks.tick_interval =
        std::min(progress.tick_interval(), std::chrono::milliseconds(checkpointing ? 100 : 200));
    hooks.stop_requested = [&] {
      return stop || StopSignals::received() || setup.runner->halt_requested();
    };
    hooks.stop_timeout_s = options.stop_timeout_s;
    out.stats =
        Executor(setup.threads)
            .run(
                *source,
                [&](std::uint64_t position) { return setup.plan->shard(setup.todo[position]); },
                hooks);
    out.source = source->stats();
  });
  counters.fetch_add(0, kRanksFinished, 1);
  // Rank 0 keeps progress, deltas and checkpoints going until every rank is
  // through its shards.
  if (root) {
    const auto ranks = static_cast<std::uint64_t>(comm.size());
    while (now[kRanksFinished] < ranks) {
      if (auto error = attempt(watch); error && !out.error) out.error = error;
      now[kRanksFinished] = counters.load(0, kRanksFinished);
      if (now[kRanksFinished] < ranks) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    progress.finish(state());
  }
  source.reset();  // collective
  return out;
}

}  // namespace

int run_job(const std::string& name, Job& job, const RunOptions& options, const mpi::Comm& comm) {
  const double started = wall_seconds();
  const bool root = comm.rank() == 0;
  const StopSignals signals;
  Setup setup;
  if (int status = settle(comm, attempt([&] { setup = prepare(job, options, comm); })))
    return status;
  if (int status = settle(comm, attempt([&] { plan_work(name, job, options, comm, setup); })))
    return status;
  // mpirun binds each rank to a core by default: more threads than the rank
  // may use share its cores, which users rarely mean.
  if (root && setup.threads > usable_cores() && job.shape() != JobShape::tasks)
    std::fprintf(stderr,
                 "shardrun: warning: %d threads, but this rank may run on %d core(s) only; under "
                 "mpirun add --bind-to none (or --map-by slot:PE=%d) to give each rank its "
                 "threads' cores\n",
                 setup.threads, usable_cores(), setup.threads);
  if (setup.complete) {
    if (root)
      std::printf(
          "shardrun: %s is complete (results in %s); nothing to do. --restart runs it again.\n",
          options.checkpoint.c_str(), options.output.c_str());
    return kExitOk;
  }
  const ShardPlan& plan = *setup.plan;

  std::optional<io::ResultFile> output;
  std::optional<DoneLedger> ledger;
  if (int status = settle(comm, attempt([&] {
                            output.emplace(options.output, setup.output, comm);
                            setup.runner->start(*output);
                            const double send_every =
                                options.checkpoint.empty() ? 1e30 : options.checkpoint_every_s / 2;
                            ledger.emplace(comm, plan.count(), *setup.runner, send_every);
                            if (root && setup.checkpoint && setup.checkpoint->resumed()) {
                              ledger->preload(setup.resumed_done,
                                              setup.checkpoint->state().shard_seconds);
                              setup.runner->add_delta(setup.checkpoint->state().partials);
                            }
                          })))
    return status;

  // Rank 0 stops the job --stop-before seconds before the batch job's end.
  std::optional<double> stop_at;
  if (const auto end = job_end_time(); root && end && !options.checkpoint.empty() &&
                                       options.stop_before_s > 0 &&
                                       *end - started > options.stop_before_s)
    stop_at = *end - options.stop_before_s;
  Execution run = execute(job, setup, *output, *ledger, options, comm, started, stop_at);
  if (const auto failure = settle_error(comm, run.error)) {
    if (root && setup.checkpoint)  // keep what is done, and say how this run ended
      setup.checkpoint->save(*ledger, *setup.runner, "failed: " + failure->message);
    return failure->exit_status;
  }
  const bool stopped = comm.max(run.stats.stopped ? 1.0 : 0.0) > 0;
  const bool abandoned = comm.max(static_cast<double>(run.stats.abandoned)) > 0;
  // A task farm halted by a failed task finishes with what it has (exit 3).
  const bool halted = comm.max(setup.runner->halt_requested() ? 1.0 : 0.0) > 0;
  // Shards still running on worker threads: end them, exit without unwinding.
  auto end_run = [&](int status) {
    if (!abandoned) return status;
    setup.runner->abandon();
    mpi::finalize_and_exit(status);
  };

  RunRecord record;
  if (int status = settle(comm, attempt([&] { ledger->finish(); }))) return status;
  record.rank_shards = comm.gather(run.stats.shards);
  record.rank_busy_s = comm.gather(run.stats.busy_s);
  record.rank_steals = comm.gather(run.source.steals);
  record.rank_stolen_shards = comm.gather(run.source.stolen_shards);
  const std::vector<double> rank_work = comm.gather(run.work);
  const double first_start =
      comm.min(run.stats.shards ? run.stats.first_start_s : std::numeric_limits<double>::max());
  const double last_end = comm.max(run.stats.last_end_s);
  const double longest_shard = comm.max(run.stats.longest_shard_s);
  if (root) {
    record.job = name;
    record.parameters = job.parameters();
    record.input = setup.input;
    record.balance = options.balance;
    record.ranks = comm.size();
    record.threads = setup.threads;
    record.shards = plan.count();
    record.items = plan.items();
    record.bytes = plan.items() * setup.item_bytes;
    record.makespan_s = first_start < last_end ? last_end - first_start : 0;
    record.started_s = started;
    record.first_shard_s = first_start < last_end ? first_start : 0;
    derive_efficiency(record, rank_work, longest_shard);
  }

  const bool all_done = comm.max(root && ledger->done_count() == plan.count() ? 1.0 : 0.0) > 0;
  if (stopped && !all_done && !halted) {
    std::exception_ptr error = attempt([&] { output->close_collective(); });
    if (root) {
      const int signo = StopSignals::received();
      const bool time_up = stop_at && wall_seconds() >= *stop_at;
      const std::string how = signo     ? std::string("stopped (") + sigabbrev_np(signo) + ")"
                              : time_up ? std::string("stopped (job end time near)")
                                        : std::string("stopped");
      if (setup.checkpoint) {
        if (!setup.checkpoint->save(*ledger, *setup.runner, how, record.rank_speed) && !error)
          error = std::make_exception_ptr(RuntimeError("stopped, but the final checkpoint failed"));
        std::fprintf(stderr,
                     "shardrun: %s: %llu of %llu shards done; run the same command to resume\n",
                     how.c_str(), static_cast<unsigned long long>(ledger->done_count()),
                     static_cast<unsigned long long>(plan.count()));
      } else {
        std::fprintf(stderr, "shardrun: %s without --checkpoint: nothing saved\n", how.c_str());
      }
    }
    // 75 promises a resume; without a checkpoint there is nothing to resume.
    const int stopped_status = options.checkpoint.empty() ? kExitRuntimeError : kExitStopped;
    if (int status = settle(comm, error)) return end_run(status);
    return end_run(stopped_status);
  }

  std::exception_ptr error = attempt([&] { output->close_collective(); });
  int result_status = kExitOk;
  if (root && !error) {
    error = attempt([&] {
      output->reopen();
      const JobResult result = setup.runner->finish(*output);
      record.wall_s = wall_seconds() - started;
      write_run_record(output->file(), record);
      output->commit();
      result_status = result.exit_status;
      // Failed tasks keep the job open: a rerun with --retry-failed runs them again.
      if (setup.checkpoint && result_status != kExitOk)
        setup.checkpoint->save(*ledger, *setup.runner, "failed: " + result.summary,
                               record.rank_speed);
      else if (setup.checkpoint)
        setup.checkpoint->complete(*ledger, *setup.runner, record.rank_speed,
                                   options.checkpoint_keep);
      std::printf("%s", format_summary(record, result.summary, result.digest).c_str());
      std::fflush(stdout);
    });
  }
  if (int status = settle(comm, error)) return end_run(status);
  return end_run(static_cast<int>(comm.max(static_cast<double>(result_status))));
}

}  // namespace shardrun
