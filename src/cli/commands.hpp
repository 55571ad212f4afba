// The subcommands of shardrun: each declares its options on a CLI::App and
// runs from what was parsed. main.cpp only wires them.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "shardrun/registry.hpp"

namespace shardrun::cli {

// A parsed subcommand, ready to run. run() returns the exit status.
class Command {
 public:
  explicit Command(CLI::App* app) : app_(app) {}
  virtual ~Command() = default;
  bool chosen() const { return app_->parsed(); }
  virtual bool needs_mpi() const { return true; }
  // Collective when needs_mpi(): errors every rank may meet are settled
  // between the ranks inside; an exception that escapes is one rank's alone.
  virtual int run() = 0;

 protected:
  CLI::App* app_;
};

// Each setup_… adds a subcommand to `app` and returns the object that runs it
// when that subcommand was chosen.
std::unique_ptr<Command> setup_run(CLI::App& app, const Registry& registry);
std::unique_ptr<Command> setup_jobs(CLI::App& app, const Registry& registry);
std::unique_ptr<Command> setup_gen(CLI::App& app);
std::unique_ptr<Command> setup_inspect(CLI::App& app, const Registry& registry);
std::unique_ptr<Command> setup_report(CLI::App& app);
std::unique_ptr<Command> setup_status(CLI::App& app);

}  // namespace shardrun::cli
