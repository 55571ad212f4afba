#include "run/run_job.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "base/clock.hpp"
#include "base/exit_status.hpp"
#include "base/machine.hpp"
#include "core/done_ledger.hpp"
#include "io/result_file.hpp"
#include "run/execution.hpp"
#include "run/job_end_time.hpp"
#include "run/run_end.hpp"
#include "run/run_setup.hpp"
#include "run/settle.hpp"
#include "run/shared_paths.hpp"
#include "run/status_files.hpp"
#include "run/stop_signals.hpp"
#include "status/status_server.hpp"

namespace shardrun::run {
namespace {

// mpirun binds each rank to a core by default: more threads than the rank
// may use share its cores, which users rarely mean.
void warn_if_threads_share_cores(const RunSetup& setup) {
  if (!setup.runner->threads_want_cores() || setup.threads <= base::usable_cores()) return;
  std::fprintf(stderr,
               "shardrun: warning: %d threads, but this rank may run on %d core(s) only; under "
               "mpirun add --bind-to none (or --map-by slot:PE=%d) to give each rank its "
               "threads' cores\n",
               setup.threads, base::usable_cores(), setup.threads);
}

// Rank 0 stops a checkpointed run --stop-before seconds before the batch
// job's end, if the scheduler says when that is.
std::optional<double> stop_time(const RunOptions& options, double started) {
  const auto end = job_end_time();
  if (!end || options.checkpoint.empty() || options.stop_before_s <= 0 ||
      *end - started <= options.stop_before_s)
    return std::nullopt;
  return *end - options.stop_before_s;
}

}  // namespace

int run_job(const std::string& name, Job& given, const RunOptions& options, const mpi::Comm& comm) {
  const bool root = comm.rank() == 0;
  RunTimes times{base::wall_seconds(), std::nullopt};
  const StopSignals signals;
  using base::attempt;

  // A job whose shape follows from its options runs as the job it resolves to.
  Job* resolved = &given;
  if (int status = settle(comm, attempt([&] {
                            if (auto* deferred = dynamic_cast<DeferredJob*>(&given))
                              resolved = &deferred->resolve();
                          })))
    return status;
  Job& job = *resolved;

  // Set up: the plan and the shape on every rank, then what is left to do.
  if (int status = settle(comm, attempt([&] { check_shared_paths(job, options, comm); })))
    return status;
  RunSetup setup;
  if (int status = settle(comm, attempt([&] { setup = prepare(job, options, comm); })))
    return status;
  if (int status = settle(
          comm, attempt([&] { setup.threads = setup.runner->prepare(setup.threads, comm); })))
    return status;
  setup.job_name = name;
  if (int status = settle(comm, attempt([&] { check_ranks_agree(job, setup, comm); })))
    return status;
  if (int status = settle(comm, attempt([&] { plan_work(name, job, options, comm, setup); })))
    return status;
  if (root) warn_if_threads_share_cores(setup);
  if (setup.complete) {
    if (root)
      std::printf(
          "shardrun: %s is complete (results in %s); nothing to do. --restart runs it again.\n",
          options.checkpoint.c_str(), options.output.c_str());
    return kExitOk;
  }

  // The output file and the ledger of done shards, with what a resumed
  // checkpoint had done already.
  std::optional<io::ResultFile> output;
  std::optional<core::DoneLedger> ledger;
  const auto open = [&] {
    output.emplace(options.output, setup.output, comm);
    setup.runner->start(*output);
    double send_every = options.checkpoint.empty() ? 1e30 : options.checkpoint_every_s / 2;
    if (!options.status.empty()) send_every = std::min(send_every, 1.0);  // per-rank figures, live
    ledger.emplace(comm, setup.plan->count(), *setup.runner, send_every, times.started);
    if (root && setup.checkpoint && setup.checkpoint->resumed()) {
      ledger->preload(setup.resumed_done, setup.checkpoint->state().shard_seconds);
      setup.runner->add_delta(setup.checkpoint->state().shape_state);
    }
  };
  if (int status = settle(comm, attempt(open))) return status;

  // The live status service, on rank 0.
  std::unique_ptr<status::StatusServer> status_server;
  std::unique_ptr<StatusFiles> status_files;
  if (int status = settle(
          comm, attempt([&] {
            if (!root || options.status.empty()) return;
            const status::Address address =
                status::parse_address(options.status, options.status_public);
            const std::string token = status::new_token();
            status_server = std::make_unique<status::StatusServer>(address, token);
            status_files =
                std::make_unique<StatusFiles>(options.output, status_server->url(), token);
            if (options.status_public)
              std::fprintf(
                  stderr, "shardrun: warning: the status service listens on %s, beyond this host\n",
                  address.host.c_str());
            std::fprintf(stderr, "shardrun: status at %s (token in %s)\n",
                         status_server->url().c_str(), status_files->token_path().c_str());
          })))
    return status;

  // Run the shards: fill, reap, checkpoint when due, stop on a signal.
  if (root) times.stop_at = stop_time(options, times.started);
  const Execution run = execute(job, setup, *output, *ledger, options, comm, times.started,
                                times.stop_at, status_server.get());
  if (const auto failure = settle_error(comm, run.error)) {
    if (root && setup.checkpoint)  // keep what is done, and say how this run ended
      setup.checkpoint->save(snapshot(*ledger, *setup.runner, "failed: " + failure->message));
    return failure->exit_status;
  }

  // Settle: a resumable stop, or the results.
  return end_run(name, job, setup, *output, *ledger, options, comm, run, times);
}

}  // namespace shardrun::run
