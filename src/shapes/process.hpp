// Running one shell command as a task: its own process group, its own
// environment and output files, a timeout that takes its whole group down.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "shapes/tagged_output.hpp"

namespace shardrun::shapes {

struct CommandSpec {
  std::string command;                  // run by /bin/sh -c
  const std::vector<std::string>* env;  // NAME=VALUE, the whole environment
  std::string workdir;                  // empty: inherit
  std::string stdout_path;              // empty: /dev/null
  std::string stderr_path;              // empty: /dev/null
  double timeout_s = 0;                 // 0: none
  double kill_after_s = 2;              // SIGTERM to SIGKILL on a timeout
  std::vector<int> cores;               // its CPU affinity; empty: inherit
  TaggedOutput* tagged = nullptr;       // set: stdout and stderr there, lines tagged
  std::string tag;                      // with this (the task number)
};

struct CommandResult {
  int exit_code = 0;  // -1 when a signal ended it
  int signal = 0;     // the signal that ended it, else 0
  bool timed_out = false;
  bool spawn_failed = false;  // exit_code 127, the reason in `error`
  std::string error;
  double start_s = 0;  // wall clock (seconds since the epoch)
  double duration_s = 0;
  bool succeeded() const { return exit_code == 0 && signal == 0; }
};

// The process groups of commands still running, so that a stopping rank can
// end them (a task left running would race its own rerun after a resume).
class LiveGroups {
 public:
  void add(pid_t group);
  void remove(pid_t group);
  std::size_t size();
  // SIGTERM to every live group, SIGKILL to those still alive after grace_s.
  void terminate_all(double grace_s);

 private:
  std::mutex mutex_;  // guards groups_
  std::set<pid_t> groups_;
};

// Runs `spec` to completion (or its timeout) and reports how it ended. Never
// throws for the command's own failures; throws RuntimeError only when the
// system refuses (no pidfd support).
CommandResult run_command(const CommandSpec& spec, LiveGroups& live);

// The environment tasks inherit: ours without the variables through which
// Open MPI and PMIx tell a process it is a rank of this job (a task may be an
// MPI program of its own), keeping OMPI_ALLOW_RUN_AS_ROOT*.
std::vector<std::string> task_base_environment();

}  // namespace shardrun::shapes
