#include "run/execution.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "balance/make_source.hpp"
#include "balance/static_source.hpp"
#include "balance/weights.hpp"
#include "base/clock.hpp"
#include "base/exit_status.hpp"
#include "core/shard_contexts.hpp"
#include "mpi/mpi_env.hpp"
#include "run/progress.hpp"
#include "run/run_counters.hpp"
#include "run/stop_signals.hpp"
#include "shardrun/resources.hpp"
#include "status/status_server.hpp"

namespace shardrun::run {
namespace {

// A farm's stages as positions of the to-do list where each begins (the
// plan keeps a farm's tasks in stage order); {0} or empty: one stage.
std::vector<std::uint64_t> stage_starts(const Job& job, const RunSetup& setup) {
  const auto* tasks = dynamic_cast<const TaskJob*>(&job);
  const auto* resources = dynamic_cast<const TaskResources*>(&job);
  if (!tasks || !resources) return {};
  std::vector<std::uint64_t> starts;
  std::uint64_t stage = 0;
  for (std::uint64_t p = 0; p < setup.todo.size(); ++p) {
    const Shard shard = setup.plan->shard(setup.todo[p]);
    const std::uint64_t s =
        resources->request(tasks->task_per_shard() ? shard.id : shard.begin).stage;
    if (p == 0 || s != stage) starts.push_back(p);
    stage = s;
  }
  return starts;
}

// A pass's executor figures added to the run's.
void add_pass(core::ExecutorStats& run, const core::ExecutorStats& pass) {
  if (pass.shards && (run.shards == 0 || pass.first_start_s < run.first_start_s))
    run.first_start_s = pass.first_start_s;
  run.shards += pass.shards;
  run.busy_s += pass.busy_s;
  run.last_end_s = std::max(run.last_end_s, pass.last_end_s);
  run.longest_shard_s = std::max(run.longest_shard_s, pass.longest_shard_s);
  run.stopped = run.stopped || pass.stopped;
  run.abandoned += pass.abandoned;
}

// Words on rank 0 every rank updates: progress, the end of execution, a stop.
enum Counter { kShardsDone, kItemsDone, kRanksFinished, kStop, kShardsStarted, kCounters };

}  // namespace

checkpoint::Snapshot snapshot(const core::DoneLedger& ledger, const shapes::ShapeRunner& runner,
                              std::string how, std::vector<double> rank_speed) {
  return {ledger.done(), ledger.seconds(), runner.save(), std::move(how), std::move(rank_speed)};
}

Execution execute(const Job& job, RunSetup& setup, io::ResultFile& output, core::DoneLedger& ledger,
                  const RunOptions& options, const mpi::Comm& comm, double started,
                  std::optional<double> stop_at, status::StatusServer* status) {
  const bool root = comm.rank() == 0;
  shapes::ShapeRunner& runner = *setup.runner;
  Progress progress(root ? choose_progress_mode(options.quiet) : ProgressMode::off,
                    options.progress_every_s);
  const std::unique_ptr<RunCounters> counters = make_run_counters(comm, kCounters, kStop);
  std::vector<std::uint64_t> now(kCounters, 0);
  const std::uint64_t resumed = setup.plan->count() - setup.todo.size();
  auto read_counters = [&] {
    for (int c = 0; c < kCounters; ++c) now[c] = counters->read(c);
  };
  auto state = [&]() -> ProgressState {
    return {resumed + now[kShardsDone], setup.plan->count(), now[kItemsDone],
            static_cast<double>(setup.item_bytes), base::wall_seconds() - started};
  };
  // This rank's finished shards and items, added to rank 0's counters once
  // a tick rather than once a shard (a remote atomic over TCP waits for
  // rank 0 to enter MPI), and beyond 1,024 ranks once every ranks/1,024
  // ticks: rank 0 then takes in about 10,000 of these adds a second at any
  // scale, and its progress lines lag by at most that many ticks (2 s at
  // 10,000 ranks). Ranks start at different points of the cycle, so their
  // adds spread over it instead of arriving on one tick.
  std::uint64_t unsent_shards = 0, unsent_items = 0;
  const int ticks_per_send = root ? 1 : std::max(1, comm.size() / 1024);
  int ticks_unsent = comm.rank() % ticks_per_send;
  // Shards this rank's workers began: counted only for the status service.
  const bool with_status = !options.status.empty();
  std::atomic<std::uint64_t> shards_begun{0};
  std::uint64_t started_sent = 0;
  auto send_counts = [&] {
    const std::uint64_t began = shards_begun.load(std::memory_order_relaxed);
    if (began > started_sent) counters->add(kShardsStarted, began - started_sent);
    started_sent = began;
    if (unsent_shards == 0) return;
    counters->add(kShardsDone, unsent_shards);
    counters->add(kItemsDone, unsent_items);
    unsent_shards = unsent_items = 0;
  };
  bool stop_sent = false;
  std::atomic<bool> stop{false};  // a rank asked to stop; the shape's workers read it too
  runner.set_stop_check(
      [&] { return StopSignals::stop_requested() || stop.load(std::memory_order_relaxed); });
  // A stop this rank was asked for goes to rank 0, which passes it to every
  // rank: at a tick, and when the executor has returned (it may stop between
  // ticks, and the others would otherwise wait for its shards).
  auto send_stop_if_asked = [&] {
    const bool time_up = stop_at && base::wall_seconds() >= *stop_at;
    if ((StopSignals::stop_requested() || runner.halt_requested() || time_up) && !stop_sent) {
      counters->add(kStop, 1);
      stop_sent = true;
    }
  };
  std::unique_ptr<core::ShardSource> source;
  core::SourceStats earlier;                              // of the passes before this one
  std::vector<std::pair<double, std::uint64_t>> history;  // for the status service
  auto publish_status = [&] {
    if (status->stop_requested()) StopSignals::request_stop();
    const ProgressState p = state();
    if (history.empty() || p.elapsed_s - history.back().first >= 1.0) {
      history.emplace_back(p.elapsed_s, p.items_done);
      if (history.size() > 600) history.erase(history.begin());
    }
    status::Snapshot s;
    s.job = setup.job_name;
    s.parameters = job.parameters();
    s.input = setup.input;
    s.balance = setup.balance;
    s.output = options.output;
    s.state = StopSignals::stop_requested() || stop ? "stopping"
              : p.shards_done == p.shards_total     ? "finished"
                                                    : "running";
    s.ranks = comm.size();
    s.threads = setup.threads;
    s.shards_total = p.shards_total;
    s.shards_done = p.shards_done;
    s.items_done = p.items_done;
    s.shards_running =
        now[kShardsStarted] > now[kShardsDone] ? now[kShardsStarted] - now[kShardsDone] : 0;
    s.farm = dynamic_cast<const TaskJob*>(&job) != nullptr;
    s.failed_attempts = runner.failed_attempts();
    s.bytes_per_item = p.bytes_per_item;
    s.elapsed_s = p.elapsed_s;
    if (setup.checkpoint) s.checkpoint_age_s = setup.checkpoint->seconds_since_save();
    for (const core::DoneLedger::RankTally& t : ledger.tallies())
      s.ranks_status.push_back({t.shards, t.busy_s, t.steals, t.stolen_shards});
    s.history = history;
    status->publish(std::move(s));
  };
  auto watch = [&] {  // every tick, on every rank
    if (source) {
      const core::SourceStats stats = source->stats();
      ledger.set_steals(earlier.steals + stats.steals, earlier.stolen_shards + stats.stolen_shards);
    }
    if (++ticks_unsent >= ticks_per_send) {
      ticks_unsent = 0;
      send_counts();
    }
    send_stop_if_asked();
    if (!stop && counters->read(kStop) > 0) stop = true;
    ledger.tick();
    if (!root) return;
    read_counters();
    progress.update(state());
    if (status) publish_status();
    if (setup.checkpoint && setup.checkpoint->save_due(options.checkpoint_every_s))
      setup.checkpoint->save_in_background(snapshot(ledger, runner, "running"));
  };
  if (root) progress.update(state());
  if (status) publish_status();

  Execution out;
  core::ExecutorHooks hooks;
  hooks.work = [&](const Shard& shard) -> std::unique_ptr<core::ShardOutput> {
    if (with_status) shards_begun.fetch_add(1, std::memory_order_relaxed);
    if (setup.reader) {
      core::DatasetShardContext context(*setup.reader, shard);
      return runner.process(context);
    }
    core::IndexShardContext context(shard);
    return runner.process(context);
  };
  hooks.on_done = [&](core::ShardOutcome&& outcome) {
    runner.done(outcome, output);
    if (outcome.output && outcome.output->interrupted) return;  // to do again
    ledger.record(outcome);
    out.work += job.work(outcome.shard);
    unsent_shards += 1;
    unsent_items += outcome.shard.items();
  };
  hooks.tick = watch;
  hooks.fixed_depth = runner.shards_in_flight_per_thread();
  if (runner.limits_taking()) {
    hooks.may_take = [&runner](std::uint64_t in_flight) { return runner.may_take(in_flight); };
    hooks.share_wake = [&runner](std::function<void()> wake) { runner.set_wake(std::move(wake)); };
  }
  const bool checkpointing = !options.checkpoint.empty();
  hooks.tick_interval =
      std::min(progress.tick_interval(), std::chrono::milliseconds(checkpointing ? 100 : 200));
  hooks.stop_requested = [&] {
    return stop || StopSignals::stop_requested() || runner.halt_requested();
  };
  hooks.stop_timeout_s = options.stop_timeout_s;
  if (mpi::Environment::transport().needs_target_progress) hooks.poll = [&] { comm.poke(); };

  // One pass: this rank's shards of `source` through the executor; rank 0
  // keeps progress, deltas and checkpoints going until every rank is
  // through its shards of the pass.
  int passes = 0;
  auto run_pass = [&](const std::function<Shard(std::uint64_t)>& shard_at) {
    if (auto error = base::attempt([&] {
          const core::ExecutorStats pass =
              core::Executor(setup.threads).run(*source, shard_at, hooks);
          add_pass(out.stats, pass);
        });
        error && !out.error)
      out.error = error;
    if (auto error = base::attempt([&] {
          send_counts();
          send_stop_if_asked();
        });
        error && !out.error)
      out.error = error;
    counters->add(kRanksFinished, 1);
    ++passes;
    if (root) {
      const auto ranks = static_cast<std::uint64_t>(comm.size()) * passes;
      while (now[kRanksFinished] < ranks) {
        if (auto error = base::attempt(watch); error && !out.error) out.error = error;
        now[kRanksFinished] = counters->read(kRanksFinished);
        if (now[kRanksFinished] < ranks) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    const core::SourceStats stats = source->stats();
    earlier.steals += stats.steals;
    earlier.stolen_shards += stats.stolen_shards;
    source.reset();  // collective
  };
  // Stage by stage (a farm's; one for other jobs): a pass over the stage's
  // shards, balanced by the strategy, then as many passes as the shape has
  // work to redo (a farm's retries, on other ranks), all before the next
  // stage starts on any rank.
  std::vector<std::uint64_t> starts = stage_starts(job, setup);
  if (starts.empty()) starts.push_back(0);
  starts.push_back(setup.todo.size());
  bool over = false;
  const bool farm = dynamic_cast<const TaskJob*>(&job) != nullptr;
  for (std::size_t stage = 0; stage + 1 < starts.size() && !over; ++stage) {
    const std::uint64_t first = starts[stage], count = starts[stage + 1] - first;
    if (auto error = base::attempt([&] {
          source = balance::make_shard_source(setup.balance, comm, count, setup.weights);
        })) {
      if (!out.error) out.error = error;
      source = std::make_unique<balance::StaticSource>(core::ShardRange{});
    }
    // A farm's blocks deal its list round robin: each rank starts at its
    // head (the highest priorities) and the long tasks spread over the run.
    std::vector<std::uint64_t> order;
    if (farm && setup.balance != "counter")
      order = balance::interleaved_order(count, setup.weights, comm.size());
    run_pass([&](std::uint64_t p) {
      return setup.plan->shard(setup.todo[first + (order.empty() ? p : order[p])]);
    });
    for (;;) {
      const bool stopping =
          out.error || stop || StopSignals::stop_requested() || runner.halt_requested();
      shapes::ShapeRunner::Redo redo;
      if (auto error = base::attempt([&] { redo = runner.redo(comm, stopping); })) {
        if (!out.error) out.error = error;
        redo.stop = true;
      }
      // A stop seen only here (between passes) stops the run all the same.
      if (redo.stop) over = out.stats.stopped = true;
      if (redo.stop || !redo.more) break;
      const std::vector<std::uint64_t> ids = std::move(redo.shards);
      source = std::make_unique<balance::StaticSource>(core::ShardRange{0, ids.size()});
      run_pass([&](std::uint64_t p) { return setup.plan->shard(ids[p]); });
    }
  }
  out.source = earlier;
  if (root) {
    read_counters();  // every rank's last counts
    progress.finish(state());
    if (status) publish_status();
  }
  runner.set_stop_check(nullptr);  // it reads this function's locals
  return out;
}

}  // namespace shardrun::run
