#include "run/run_end.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "base/clock.hpp"
#include "base/exit_status.hpp"
#include "base/failpoint.hpp"
#include "mpi/mpi_env.hpp"
#include "run/run_record.hpp"
#include "run/settle.hpp"
#include "run/stop_signals.hpp"
#include "shapes/task_record.hpp"
#include "shardrun/resources.hpp"

namespace shardrun::run {
namespace {

// Collective: every rank's figures into rank 0's record.
RunRecord gather_record(const std::string& name, const Job& job, const RunSetup& setup,
                        const RunOptions& options, const mpi::Comm& comm, const Execution& run,
                        double started) {
  RunRecord record;
  record.rank_shards = comm.gather(run.stats.shards);
  record.rank_busy_s = comm.gather(run.stats.busy_s);
  record.rank_steals = comm.gather(run.source.steals);
  record.rank_stolen_shards = comm.gather(run.source.stolen_shards);
  for (const std::uint64_t q : comm.gather(std::uint64_t{setup.runner->quarantined()}))
    record.rank_quarantined.push_back(static_cast<std::uint8_t>(q));
  const std::vector<double> rank_work = comm.gather(run.work);
  const double first_start =
      comm.min(run.stats.shards ? run.stats.first_start_s : std::numeric_limits<double>::max());
  const double last_end = comm.max(run.stats.last_end_s);
  const double longest_shard = comm.max(run.stats.longest_shard_s);
  if (comm.rank() != 0) return record;
  const core::ShardPlan& plan = *setup.plan;
  record.job = name;
  record.job_revision = options.job_revision;
  record.job_origin = options.job_origin;
  record.parameters = job.parameters();
  record.input = setup.input;
  record.balance = setup.balance;
  record.ranks = comm.size();
  record.threads = setup.threads;
  record.nodes = mpi::Environment::transport().nodes;
  record.one_sided = mpi::Environment::transport().one_sided;
  record.shards = plan.count();
  record.items = plan.items();
  record.bytes = plan.items() * setup.item_bytes;
  record.makespan_s = first_start < last_end ? last_end - first_start : 0;
  record.started_s = started;
  record.first_shard_s = first_start < last_end ? first_start : 0;
  derive_efficiency(record, rank_work, longest_shard);
  return record;
}

// Rank 0: the final checkpoint of a stopped run, and what to tell the user.
std::exception_ptr save_stopped(RunSetup& setup, const core::DoneLedger& ledger,
                                const RunRecord& record, const RunTimes& times) {
  const bool time_up = times.stop_at && base::wall_seconds() >= *times.stop_at;
  const std::string reason = StopSignals::stop_reason();
  const std::string how = !reason.empty() ? reason
                          : time_up       ? std::string("stopped (job end time near)")
                                          : std::string("stopped");
  if (!setup.checkpoint) {
    std::fprintf(stderr, "shardrun: %s without --checkpoint: nothing saved\n", how.c_str());
    return nullptr;
  }
  const bool saved =
      setup.checkpoint->save(snapshot(ledger, *setup.runner, how, record.rank_speed));
  std::fprintf(stderr, "shardrun: %s: %llu of %llu shards done; run the same command to resume\n",
               how.c_str(), static_cast<unsigned long long>(ledger.done_count()),
               static_cast<unsigned long long>(setup.plan->count()));
  if (saved) return nullptr;
  return std::make_exception_ptr(RuntimeError("stopped, but the final checkpoint failed"));
}

// Rank 0: the results into the output file, committed; the checkpoint marked.
// A task farm's timeline rows also name the shard's first task (1-based)
// and the most attempts any of its tasks took, from the /tasks records.
FarmColumns farm_columns(const Job& job, const RunSetup& setup, io::ResultFile& output,
                         const core::Timeline& timeline) {
  FarmColumns columns;
  const auto* farm = dynamic_cast<const TaskJob*>(&job);
  const auto* resources = dynamic_cast<const TaskResources*>(&job);
  if (!farm || !output.file().has_link("/tasks")) return columns;
  std::vector<std::uint32_t> attempts(
      (farm->task_per_shard() ? setup.plan->count() : setup.plan->items()) + 1, 0);
  for (const shapes::TaskRecord& r : shapes::read_records(output.file(), "/tasks"))
    if (r.task < attempts.size()) attempts[r.task] = std::max(attempts[r.task], r.attempt);
  for (const std::uint64_t id : timeline.rows().shard) {
    const Shard shard = setup.plan->shard(id);
    const std::uint64_t first = farm->task_per_shard() ? shard.id : shard.begin;
    const std::uint64_t last = farm->task_per_shard() ? shard.id + 1 : shard.end;
    // Items are in the farm's order; records and users number tasks as listed.
    const auto number = [&](std::uint64_t item) {
      return resources ? resources->task_number(item) : item + 1;
    };
    std::uint32_t most = 0;
    for (std::uint64_t t = first; t < last; ++t) most = std::max(most, attempts[number(t)]);
    columns.shard_task.emplace_back(id, number(first), most);
  }
  return columns;
}

int write_results(const Job& job, RunSetup& setup, io::ResultFile& output,
                  const core::DoneLedger& ledger, const RunOptions& options, RunRecord& record,
                  double started) {
  output.reopen();
  // A kept working file may hold the record of a run killed before it published.
  if (output.file().has_link("/run")) output.file().remove_link("/run");
  const shapes::JobResult result = setup.runner->finish(output);
  record.wall_s = base::wall_seconds() - started;
  record.run_id = setup.run_id;
  write_run_record(output.file(), record);
  if (const core::Timeline* timeline = ledger.timeline())
    write_timeline(output.file(), *timeline, farm_columns(job, setup, output, *timeline));
  output.commit();
  base::failpoint("after-publish");
  // A run that ended with failures (a farm's failed tasks) keeps its
  // checkpoint open: a rerun can take them up again.
  if (setup.checkpoint && result.exit_status != kExitOk)
    setup.checkpoint->save(
        snapshot(ledger, *setup.runner, "failed: " + result.summary, record.rank_speed));
  else if (setup.checkpoint) {
    // Every journaled task is in the saved state now.
    setup.checkpoint->remove_after_next_save(
        setup.runner->journal_files(checkpoint::journal_prefix(options.checkpoint)));
    setup.checkpoint->complete(
        snapshot(ledger, *setup.runner, "completed", record.rank_speed), options.checkpoint_keep,
        std::filesystem::absolute(output.path()).lexically_normal(), setup.run_id);
  }
  std::printf("%s", format_summary(record, result.summary, result.digest).c_str());
  std::fflush(stdout);
  return result.exit_status;
}

}  // namespace

int end_run(const std::string& name, const Job& job, RunSetup& setup, io::ResultFile& output,
            core::DoneLedger& ledger, const RunOptions& options, const mpi::Comm& comm,
            const Execution& run, const RunTimes& times) {
  const bool root = comm.rank() == 0;
  const bool stopped = comm.max(run.stats.stopped ? 1.0 : 0.0) > 0;
  const bool abandoned = comm.max(static_cast<double>(run.stats.abandoned)) > 0;
  // A halted shape finishes with what it has instead of stopping resumably.
  const bool halted = comm.max(setup.runner->halt_requested() ? 1.0 : 0.0) > 0;
  // Shards still running on worker threads: end them, exit without unwinding.
  auto leave = [&](int status) {
    if (!abandoned) return status;
    setup.runner->abandon();
    mpi::finalize_and_exit(status);
  };

  if (int status = settle(comm, base::attempt([&] { ledger.finish(); }))) return status;
  RunRecord record = gather_record(name, job, setup, options, comm, run, times.started);
  const bool all_done =
      comm.max(root && ledger.done_count() == setup.plan->count() ? 1.0 : 0.0) > 0;
  if (stopped && !all_done && !halted) {
    std::exception_ptr error = base::attempt([&] { output.close_collective(); });
    if (root) {
      std::exception_ptr saved = save_stopped(setup, ledger, record, times);
      if (!error) error = saved;
    }
    if (int status = settle(comm, error)) return leave(status);
    // 75 promises a resume; without a checkpoint there is nothing to resume.
    return leave(options.checkpoint.empty() ? kExitRuntimeError : kExitStopped);
  }

  std::exception_ptr error = base::attempt([&] { output.close_collective(); });
  int result_status = kExitOk;
  if (root && !error)
    error = base::attempt([&] {
      result_status = write_results(job, setup, output, ledger, options, record, times.started);
    });
  if (int status = settle(comm, error)) return leave(status);
  return leave(static_cast<int>(comm.max(static_cast<double>(result_status))));
}

}  // namespace shardrun::run
