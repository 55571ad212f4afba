// shardrun: run one data-parallel job over shards of a dataset on MPI ranks.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "base/exit_status.hpp"
#include "cli/commands.hpp"
#include "cli/plugins.hpp"
#include "h5/h5_error.hpp"
#include "jobs/builtin.hpp"
#include "mpi/comm.hpp"
#include "mpi/mpi_env.hpp"
#include "shardrun/errors.hpp"

namespace {

// Before MPI is up, only the first rank of an mpirun (or a lone process) speaks.
bool first_rank() {
  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (!rank) rank = std::getenv("PMI_RANK");
  return !rank || std::string(rank) == "0";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace shardrun;
  Registry registry = jobs::builtin_registry();
  // Plugins first: their jobs become subcommands of `run`.
  try {
    std::vector<std::string> warnings;
    const char* path = std::getenv("SHARDRUN_PLUGIN_PATH");
    cli::load_plugins(registry, cli::plugin_arguments(argc, argv), path ? path : "", warnings);
    for (const std::string& warning : warnings)
      if (first_rank()) std::fprintf(stderr, "shardrun: warning: %s\n", warning.c_str());
  } catch (const UsageError& e) {
    if (first_rank()) std::fprintf(stderr, "shardrun: error: %s\n", e.what());
    return kExitUsageError;
  }
  CLI::App app(
      "shardrun: split a dataset, a task list or an index range into shards, run them on "
      "MPI ranks with oneTBB threads, and combine the results deterministically.",
      "shardrun");
  app.footer(
      "Examples:\n"
      "  shardrun gen --output data.h5:/x --rows 100000000 --dist normal --seed 7\n"
      "  mpirun -n 2 shardrun run stats --input data.h5:/x --output stats.h5\n"
      "  mpirun -n 3 shardrun run histogram --input data.h5:/x --bins 64 --range -5:5 --output "
      "hist.h5\n"
      "  mpirun -n 4 shardrun run stats --input data.h5:/x --output s.h5 --checkpoint s.ckpt.h5\n"
      "  shardrun inspect s.ckpt.h5\n"
      "  shardrun jobs\n"
      "  mpirun -n 4 shardrun run --plugin ./librms.so rms --input data.h5:/x --output rms.h5\n"
      "Without mpirun, shardrun runs as a single rank. Exit status: 0 done, 1 runtime error,\n"
      "2 usage error, 75 stopped by a signal with a checkpoint saved (run it again to resume).\n"
      "`shardrun COMMAND --help` explains each command.");
  app.require_subcommand(1);
  app.fallthrough();  // --plugin after a job's name is `run`'s option
  app.set_version_flag("--version", std::string("shardrun ") + SHARDRUN_VERSION);
  std::vector<std::unique_ptr<cli::Command>> commands;
  commands.push_back(cli::setup_run(app, registry));
  commands.push_back(cli::setup_gen(app));
  commands.push_back(cli::setup_inspect(app, registry));
  commands.push_back(cli::setup_report(app));
  commands.push_back(cli::setup_status(app));
  commands.push_back(cli::setup_jobs(app, registry));
  // Loaded above already; declared where it may stand, so that parsing and --help know it.
  std::vector<std::string> plugins;
  for (CLI::App* where :
       {&app, app.get_subcommand("run"), app.get_subcommand("jobs"), app.get_subcommand("inspect")})
    where->add_option("--plugin", plugins,
                      "A shared library of jobs to load (repeatable); every .so in the "
                      "directories of $SHARDRUN_PLUGIN_PATH (colon-separated) is loaded too");

  // CLI11 would only say "a subcommand is required"; name the job instead.
  if (argc > 2 && std::string(argv[1]) == "run" && argv[2][0] != '-' && !registry.find(argv[2])) {
    if (first_rank())
      std::fprintf(stderr, "shardrun: error: unknown job '%s' (`shardrun jobs` lists them)\n",
                   argv[2]);
    return kExitUsageError;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return first_rank() ? app.exit(e) : 0;  // --help, --version
    if (first_rank())
      std::fprintf(stderr, "shardrun: error: %s\nRun with --help for more information.\n",
                   e.what());
    return kExitUsageError;
  }

  cli::Command* chosen = nullptr;
  for (auto& command : commands)
    if (command->chosen()) chosen = command.get();
  int status = kExitOk;
  auto run = [&] { status = chosen->run(); };
  if (!chosen->needs_mpi()) {
    const base::Failure failure = base::failure_of(base::attempt(run));
    if (failure.exit_status == kExitOk) return status;
    std::fprintf(stderr, "shardrun: error: %s\n", failure.message.c_str());
    return failure.exit_status;
  }

  std::optional<mpi::Environment> mpi;
  if (const base::Failure failure =
          base::failure_of(base::attempt([&] { mpi.emplace(argc, argv); }));
      failure.exit_status != kExitOk) {
    std::fprintf(stderr, "shardrun: error: %s\n", failure.message.c_str());
    return kExitRuntimeError;
  }
  h5::silence_error_printing();
  const base::Failure failure = base::failure_of(base::attempt(run));
  if (failure.exit_status == kExitOk) return status;
  // Met by this rank alone: others may wait on it, so end the whole job.
  const mpi::Comm world;
  std::fprintf(stderr, "shardrun: error: rank %d: %s\n", world.rank(), failure.message.c_str());
  std::fflush(stderr);
  world.abort(failure.exit_status);
}
