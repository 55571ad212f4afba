// `shardrun jobs`: every job, built in or from a plugin, one line each.
#include <cstdio>

#include "cli/commands.hpp"

namespace shardrun::cli {
namespace {

class JobsCommand : public Command {
 public:
  JobsCommand(CLI::App* app, const Registry& registry) : Command(app), registry_(registry) {}
  bool needs_mpi() const override { return false; }
  int run() override {
    for (const JobInfo& job : registry_.jobs()) {
      std::printf("%-12s %s\n", job.name.c_str(), job.summary.c_str());
      if (job.origin != "built in")
        std::printf("%-12s   from %s (revision %d)\n", "", job.origin.c_str(), job.revision);
    }
    return 0;
  }

 private:
  const Registry& registry_;
};

}  // namespace

std::unique_ptr<Command> setup_jobs(CLI::App& app, const Registry& registry) {
  CLI::App* sub = app.add_subcommand("jobs",
                                     "List the jobs: built in, and from plugins (--plugin, "
                                     "$SHARDRUN_PLUGIN_PATH) with the file each came from");
  return std::make_unique<JobsCommand>(sub, registry);
}

}  // namespace shardrun::cli
