#include "exec.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "command_template.hpp"
#include "entry_list.hpp"
#include "shardrun/digest.hpp"

namespace shardrun::jobs {

void ExecJob::add_options(CLI::App& app) {
  auto* tasks = app.add_option("--tasks", tasks_file_,
                               "File of commands, one per line, each run by /bin/sh -c (blank "
                               "lines and lines starting with # are skipped)");
  auto* command = app.add_option(
      "--command", template_,
      "Command template run for each line of --args, with GNU parallel's replacement strings: "
      "{} the line, {.} without extension, {/} basename, {//} dirname, {/.} basename without "
      "extension (all shell-quoted), {#} task number, {%} slot; without any, ' {}' is appended");
  auto* args =
      app.add_option("--args", args_file_, "File of arguments for --command, one per line");
  tasks->excludes(command)->excludes(args);
  command->needs(args);
  args->needs(command);
  app.add_option("--slots", options_.slots,
                 "Tasks at once per rank (default: the rank's threads, see --threads)")
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout", options_.timeout_s,
                 "Seconds an attempt may run; then SIGTERM to its process group, and SIGKILL "
                 "--kill-after seconds later (default: no limit)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--kill-after", options_.kill_after_s,
                 "Seconds from a timeout's SIGTERM to SIGKILL")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--retries", options_.retries,
                 "Further attempts at a task whose command failed (exit status not 0, a signal, "
                 "a timeout)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--halt-on-error", options_.halt_on_error,
               "Stop the farm at the first task that failed after its retries (tasks still "
               "running are ended after --stop-timeout); default: keep going");
  app.add_flag("--retry-failed", options_.retry_failed,
               "With --checkpoint: run the tasks that failed in earlier runs again (tasks that "
               "succeeded never run again)");
  app.add_option("--workdir", options_.workdir,
                 "Directory the commands run in (default: the current one)");
  app.add_option("--logdir", options_.logdir,
                 "Directory for each task's stdout and stderr, TASK.out and TASK.err (the last "
                 "attempt's); created if missing (default: output discarded)");
  app.add_option("--joblog", options_.joblog,
                 "Write every attempt in GNU parallel's --joblog format (tab-separated: Seq, Host, "
                 "Starttime, JobRuntime, Send, Receive, Exitval, Signal, Command)");
  app.footer(
      "Exit status: 0 when every task succeeded, 3 when some failed after retries (their records "
      "are in /tasks of --output), 75 when stopped with --checkpoint. Each task runs in its own "
      "process group with SHARDRUN_TASK, SHARDRUN_RANK, SHARDRUN_SLOT and SHARDRUN_ATTEMPT set.");
}

void ExecJob::load() const {
  if (!entries_.empty()) return;
  if (tasks_file_.empty() && template_.empty())
    throw UsageError("exec: give --tasks FILE, or --command TEMPLATE with --args FILE");
  if (!template_.empty()) expand_template(template_, "x", 1, 1);  // refused before any task runs
  entries_ = tasks_file_.empty() ? read_entries(args_file_, "--args", false)
                                 : read_entries(tasks_file_, "--tasks", true);
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!options_.workdir.empty() && !fs::is_directory(options_.workdir, ec))
    throw UsageError("--workdir: " + options_.workdir + " is not a directory");
  if (!options_.logdir.empty()) {
    fs::create_directories(options_.logdir, ec);
    if (!fs::is_directory(options_.logdir, ec) || ::access(options_.logdir.c_str(), W_OK) != 0)
      throw UsageError("--logdir: cannot create or write the directory " + options_.logdir);
  }
}

DomainSpec ExecJob::domain() const {
  load();
  return IndexDomain{entries_.size(), 1};
}

std::string ExecJob::parameters() const {
  load();
  std::string all;
  for (const std::string& e : entries_) all += e + '\n';
  const std::string digest = digest_hex(all.data(), all.size());
  std::string text =
      tasks_file_.empty() ? "command=" + template_ + " args=" + args_file_ : "tasks=" + tasks_file_;
  text += " entries=" + std::to_string(entries_.size()) + " digest=" + digest;
  if (!options_.workdir.empty()) text += " workdir=" + options_.workdir;
  return text;
}

std::string ExecJob::command(std::uint64_t item, int slot) const {
  if (template_.empty()) return entries_.at(item);
  return expand_template(template_, entries_.at(item), item + 1, slot);
}

}  // namespace shardrun::jobs
