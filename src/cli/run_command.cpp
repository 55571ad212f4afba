// `shardrun run JOB [options]`: run one job over its shards on every rank.
#include <map>

#include "api/options_handle.hpp"
#include "balance/make_source.hpp"
#include "cli/commands.hpp"
#include "run/run_job.hpp"

namespace shardrun::cli {
namespace {

class RunCommand : public Command {
 public:
  RunCommand(CLI::App* app, const Registry& registry) : Command(app) {
    app->require_subcommand(1);
    for (const JobInfo& info : registry.jobs()) {
      CLI::App* sub = app->add_subcommand(info.name, info.summary);
      std::unique_ptr<Job> job = info.make();
      Options options(options_handle(*sub));
      job->add_options(options);
      add_run_options(*sub);
      jobs_.emplace(info.name, Entry{sub, std::move(job), revision_text(info), info.origin});
    }
  }

  int run() override {
    for (auto& [name, entry] : jobs_) {
      if (!entry.app->parsed()) continue;
      options_.job_revision = entry.revision;
      options_.job_origin = entry.origin;
      return run::run_job(name, *entry.job, options_, mpi::Comm());
    }
    return kExitUsageError;  // unreachable: CLI11 requires a job
  }

 private:
  void add_run_options(CLI::App& sub) {
    sub.add_option("--output", options_.output,
                   "Result file (HDF5); written under a temporary "
                   "name and renamed when complete")
        ->required();
    auto* shards =
        sub.add_option("--shards", options_.plan.shards,
                       "Number of shards (default: about 4 MiB of input each; 16 MiB for "
                       "wordcount, 2 MiB for Python jobs)")
            ->check(CLI::PositiveNumber);
    sub.add_option("--shard-rows", options_.plan.shard_items,
                   "Rows per shard (instead of --shards)")
        ->check(CLI::PositiveNumber)
        ->excludes(shards);
    sub.add_option("--threads", options_.threads,
                   "Worker threads per rank (default: $SLURM_CPUS_PER_TASK, else the cores this "
                   "rank may use)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--balance", options_.balance,
                   "How shards move between ranks: steal (idle ranks take half of a busy rank's "
                   "remaining shards), counter (one shared counter hands out shrinking chunks), "
                   "static (fixed contiguous blocks)")
        ->capture_default_str()
        ->check(CLI::IsMember(balance::balance_strategies()));
    sub.add_option("--weights", options_.weights,
                   "Relative rank speeds sizing the initial blocks, 'w0,w1,...' or a file of "
                   "numbers (default: equal)");
    sub.add_option("--progress-every", options_.progress_every_s,
                   "Seconds between progress lines when stderr is not a terminal (batch logs)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub.add_flag("--quiet,-q", options_.quiet, "No progress line");
    sub.add_option("--checkpoint", options_.checkpoint,
                   "Checkpoint file (HDF5): progress is saved there, and a run started with an "
                   "existing one resumes from it, on any number of ranks and threads");
    sub.add_option("--checkpoint-every", options_.checkpoint_every_s,
                   "Seconds between checkpoints (fractions allowed)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub.add_flag("--restart", options_.restart, "Discard an existing checkpoint and start over");
    sub.add_option("--checkpoint-keep", options_.checkpoint_keep,
                   "Keep the checkpoint, marked complete, when the job finishes (yes/no)")
        ->capture_default_str();
    sub.add_option("--stop-timeout", options_.stop_timeout_s,
                   "On SIGTERM/SIGINT/SIGUSR1/SIGXCPU: seconds shards in flight may finish before "
                   "they are abandoned and the final checkpoint is written (exit 75)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    auto* status =
        sub.add_option("--status", options_.status,
                       "Serve the run's live status on rank 0 at ADDR:PORT (port 0: a free one; "
                       "loopback unless --status-public): GET / (a page), /api/status (JSON), "
                       "/metrics (Prometheus); POST /api/stop with the token in OUTPUT.status "
                       "stops it gracefully (exit 75). See docs/status.md");
    sub.add_flag("--status-public", options_.status_public,
                 "Let --status listen on an address other than loopback")
        ->needs(status);
    sub.add_option("--stop-before", options_.stop_before_s,
                   "With --checkpoint, when the batch job's end time is known "
                   "($SLURM_JOB_END_TIME or $SHARDRUN_END_TIME, Unix seconds): stop and "
                   "checkpoint (exit 75) this many seconds before it, if the job has longer "
                   "than that left at the start; 0: never")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
  }

  struct Entry {
    CLI::App* app;
    std::unique_ptr<Job> job;
    std::string revision;
    std::string origin;
  };
  std::map<std::string, Entry> jobs_;
  run::RunOptions options_;
};

}  // namespace

std::unique_ptr<Command> setup_run(CLI::App& app, const Registry& registry) {
  CLI::App* sub = app.add_subcommand("run", "Run a job: shardrun run JOB --help for its options");
  sub->footer(
      "Jobs: see `shardrun jobs`. Common options (every job): --output, --shards, "
      "--shard-rows, --threads, --balance, --progress-every, --quiet.");
  return std::make_unique<RunCommand>(sub, registry);
}

}  // namespace shardrun::cli
