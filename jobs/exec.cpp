#include "exec.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "command_template.hpp"
#include "entry_list.hpp"
#include "shardrun/digest.hpp"

namespace shardrun::jobs {

void ExecJob::add_options(Options& options) {
  Option tasks = options.add(
      "--tasks", tasks_file_,
      "File of commands, one per line, each run by /bin/sh -c (blank lines and lines starting "
      "with # are skipped). A FILE.jsonl (or .ndjson) holds one JSON object a line: "
      "{\"cmd\": ..., \"cpus\": N, \"mem\": \"8G\", \"gpus\": N, \"priority\": N, \"stage\": N, "
      "\"name\": ..., \"timeout\": S, \"retries\": N, \"env\": {...}, \"cwd\": ...} "
      "(docs/task-farms.md)");
  Option command = options.add(
      "--command", template_,
      "Command template run for each line of --args, with GNU parallel's replacement strings: "
      "{} the line, {.} without extension, {/} basename, {//} dirname, {/.} basename without "
      "extension (all shell-quoted), {#} task number, {%} slot; without any, ' {}' is appended. "
      "With --over: run once per shard, see --over");
  Option args = options.add("--args", args_file_, "File of arguments for --command, one per line");
  Option over = options.add(
      "--over", over_,
      "FILE.h5:/path: one task per shard of this dataset's usual shard plan (--shards and "
      "--shard-rows as for any job), running --command with {input} the dataset reference, "
      "{file}, {dataset}, {begin} and {end} the shard's rows (end exclusive), {rows} as "
      "begin:end, {shard} its 0-based number, besides {#} and {%}");
  Option over_range =
      options.add("--over-range", over_range_,
                  "N: one task per shard of the index range 0..N-1 (as --over, without a dataset: "
                  "{begin} {end} {rows} {shard} {#} {%})");
  over_range.positive();
  tasks.excludes(command).excludes(args).excludes(over).excludes(over_range);
  args.needs(command).excludes(over).excludes(over_range);
  over.excludes(over_range);
  options
      .add("--slots", options_.slots,
           "Tasks at once per rank (default: the rank's threads, see --threads)")
      .positive();
  options
      .add("--timeout", options_.timeout_s,
           "Seconds an attempt may run; then SIGTERM to its process group, and SIGKILL "
           "--kill-after seconds later (default: no limit)")
      .non_negative();
  options.add("--kill-after", options_.kill_after_s, "Seconds from a timeout's SIGTERM to SIGKILL")
      .show_default()
      .non_negative();
  options
      .add("--retries", options_.retries,
           "Further attempts at a task whose command failed (exit status not 0, a signal, "
           "a timeout); with more than one rank a retry runs on another rank, once the "
           "stage's first pass is through")
      .show_default()
      .non_negative();
  options
      .add("--crash-limit", pool_.crash_limit,
           "A task whose attempts were ended by a signal (not a timeout) this many times fails "
           "with no further retries, also across resumes (--retry-failed skips it); 0: no limit")
      .show_default()
      .non_negative();
  options
      .add("--quarantine-after", options_.quarantine_after,
           "A rank whose last this-many tasks, all different ones, failed takes no more tasks "
           "(a bad node: the other ranks run the rest; the run record and inspect name it); "
           "0: never")
      .show_default()
      .non_negative();
  options.flag("--halt-on-error", options_.halt_on_error,
               "Stop the farm at the first task that failed after its retries (tasks still "
               "running are ended after --stop-timeout); default: keep going");
  options.flag("--retry-failed", options_.retry_failed,
               "With --checkpoint: run the tasks that failed in earlier runs again (tasks that "
               "succeeded never run again)");
  options
      .add("--cpus-per-task", cpus_per_task_,
           "Cpus a task asks for when its line does not say (its cores as affinity, "
           "OMP_NUM_THREADS)")
      .show_default()
      .positive();
  options.add("--mem-per-task", mem_per_task_,
              "Memory a task asks for when its line does not say (512M, 8G; default: none)");
  options
      .add("--gpus-per-task", gpus_per_task_,
           "GPUs a task asks for when its line does not say (its CUDA_VISIBLE_DEVICES)")
      .show_default()
      .non_negative();
  options.add("--pool", pool_.pool,
              "The rank's pool that tasks are packed into, over what is detected: "
              "cpus=N,mem=SIZE,gpus=G (G a count, devices 0..G-1, or ids 0:2:3); default: "
              "cpus the rank's threads (or --slots), mem the host's (cgroup, SLURM_MEM_PER_NODE, "
              "SLURM_MEM_PER_CPU) shared by its ranks, gpus CUDA_VISIBLE_DEVICES or "
              "ROCR_VISIBLE_DEVICES shared by its ranks");
  options.add("--mem", pool_.mem, "The rank's memory for tasks (as --pool mem=SIZE)");
  options.add("--gpus", pool_.gpus,
              "The rank's GPUs for tasks: a count or ids 0:2:3 (as --pool gpus=)");
  options.add("--workdir", options_.workdir,
              "Directory the commands run in (default: the current one)");
  options.add("--logdir", options_.logdir,
              "Directory for the tasks' stdout and stderr, as --output-mode says; created if "
              "missing (default: output discarded)");
  options.add("--output-mode", options_.output_mode,
              "files: TASK.out and TASK.err in --logdir for each task (the last attempt's; "
              "earlier attempts' kept as TASK.ATTEMPT.out and .err); tagged: one pair per rank, "
              "rank-R.out and rank-R.err in --logdir, each line prefixed with its task number "
              "(TASK.ATTEMPT for a retry) and a tab (appended to on resume); none: discarded. "
              "Default: files with "
              "--logdir, else none. `shardrun inspect --output RESULT TASK` prints a task's "
              "output in either mode");
  options.add("--joblog", options_.joblog,
              "Write every attempt in GNU parallel's --joblog format (tab-separated: Seq, Host, "
              "Starttime, JobRuntime, Send, Receive, Exitval, Signal, Command)");
  options.footer(
      "Exit status: 0 when every task succeeded, 3 when some failed after retries (their records "
      "are in /tasks of --output), 75 when stopped with --checkpoint. Each task runs in its own "
      "process group with SHARDRUN_TASK, SHARDRUN_RANK, SHARDRUN_SLOT and SHARDRUN_ATTEMPT set.");
}

void ExecJob::load() const {
  if (!entries_.empty() || loaded_over_) return;
  defaults_.cpus = cpus_per_task_;
  defaults_.gpus = gpus_per_task_;
  if (!mem_per_task_.empty())
    defaults_.mem_bytes = parse_memory_size(mem_per_task_, "--mem-per-task");
  pool_.place = !pool_.pool.empty() || !pool_.gpus.empty() || !pool_.mem.empty() ||
                cpus_per_task_ != 1 || gpus_per_task_ != 0 || !mem_per_task_.empty() ||
                (!tasks_file_.empty() && is_json_task_list(tasks_file_));
  if (task_per_shard()) {
    check_over();
    loaded_over_ = true;
  } else {
    if (tasks_file_.empty() && template_.empty())
      throw UsageError(
          "exec: give --tasks FILE, --command TEMPLATE with --args FILE, or "
          "--command TEMPLATE with --over FILE.h5:/path or --over-range N");
    if (tasks_file_.empty() && args_file_.empty())
      throw UsageError("--command needs --args FILE (or --over, --over-range)");
    expand_template(template_, "x", 1, 1);  // refused before any task runs
    if (!tasks_file_.empty() && is_json_task_list(tasks_file_))
      load_json_list();
    else
      entries_ = tasks_file_.empty() ? read_entries(args_file_, "--args", false)
                                     : read_entries(tasks_file_, "--tasks", true);
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!options_.workdir.empty() && !fs::is_directory(options_.workdir, ec))
    throw UsageError("--workdir: " + options_.workdir + " is not a directory");
  const std::string mode = options_.mode();
  if (mode != "files" && mode != "tagged" && mode != "none")
    throw UsageError("--output-mode: " + mode + " is not files, tagged or none");
  if (mode != "none" && options_.logdir.empty())
    throw UsageError("--output-mode " + mode + " needs --logdir DIR");
  if (mode == "none" && !options_.logdir.empty())
    throw UsageError("--output-mode none discards output: drop --logdir " + options_.logdir);
  if (!options_.logdir.empty()) {
    fs::create_directories(options_.logdir, ec);
    if (!fs::is_directory(options_.logdir, ec) || ::access(options_.logdir.c_str(), W_OK) != 0)
      throw UsageError("--logdir: cannot create or write the directory " + options_.logdir);
  }
}

// The farm's order: stage, then priority (highest first), then place in
// the list: a pure function of the list, so every rank and every resume
// plans the same.
void ExecJob::load_json_list() const {
  std::vector<ListedTask> listed = read_json_tasks(tasks_file_, "--tasks", defaults_);
  std::vector<std::size_t> order(listed.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const TaskRequest &x = listed[a].request, &y = listed[b].request;
    if (x.stage != y.stage) return x.stage < y.stage;
    return x.priority > y.priority;
  });
  for (const ListedTask& t : listed) {
    list_text_ += t.text + '\n';
    text_ends_.push_back(list_text_.size());
  }
  for (const std::size_t i : order) {
    entries_.push_back(std::move(listed[i].cmd));
    requests_.push_back(std::move(listed[i].request));
    numbers_.push_back(i + 1);
    lines_.push_back(listed[i].line);
  }
}

const TaskRequest& ExecJob::request(std::uint64_t item) const {
  return requests_.empty() ? defaults_ : requests_.at(item);
}

std::string ExecJob::task_where(std::uint64_t item) const {
  return lines_.empty() ? std::string() : tasks_file_ + ":" + std::to_string(lines_.at(item));
}

std::uint64_t ExecJob::task_number(std::uint64_t item) const {
  return numbers_.empty() ? item + 1 : numbers_.at(item);
}

// --over FILE.h5:/path names the dataset as every job's --input does; the
// engine checks it, and plans its shards.
void ExecJob::check_over() const {
  if (template_.empty())
    throw UsageError(std::string(over_.empty() ? "--over-range" : "--over") +
                     " needs --command TEMPLATE");
  if (!uses_shard_strings(template_))
    throw UsageError(
        "--command: with --over every task would run the same command: use "
        "{begin}, {end}, {rows} or {shard}");
  if (!over_.empty() && over_.find(":/") == std::string::npos)
    throw UsageError("--over: '" + over_ + "' is not FILE.h5:/path");
  if (over_.empty())
    for (const char* s : {"{input}", "{file}", "{dataset}"})
      if (template_.find(s) != std::string::npos)
        throw UsageError(std::string("--command: ") + s +
                         " needs --over FILE.h5:/path, not "
                         "--over-range");
  expand_shard_template(template_, {}, 1, 1);  // refused before any task runs
}

bool ExecJob::task_per_shard() const { return !over_.empty() || over_range_ > 0; }

DomainSpec ExecJob::domain() const {
  load();
  if (!over_.empty()) return DatasetDomain{over_};
  // An index range's usual plan: 4096 shards at most, as for synthetic.
  if (over_range_ > 0)
    return IndexDomain{over_range_, std::max<std::uint64_t>(1, (over_range_ + 4095) / 4096)};
  return IndexDomain{entries_.size(), 1};
}

std::string ExecJob::parameters() const {
  load();
  return task_per_shard() ? parameters_of_first(0) : parameters_of_first(entries_.size());
}

bool ExecJob::appends_to(const std::string& saved) const {
  load();
  if (task_per_shard()) return false;
  const std::size_t at = saved.find(" entries=");
  if (at == std::string::npos) return false;
  std::size_t tasks = 0;
  const char* first = saved.data() + at + 9;
  const auto [end, ec] = std::from_chars(first, saved.data() + saved.size(), tasks);
  if (ec != std::errc() || end == first || tasks > entries_.size()) return false;
  return parameters_of_first(tasks) == saved;
}

std::string ExecJob::parameters_of_first(std::size_t tasks) const {
  if (task_per_shard()) {
    std::string text =
        "command=" + template_ +
        (over_.empty() ? " over_range=" + std::to_string(over_range_) : " over=" + over_);
    if (!options_.workdir.empty()) text += " workdir=" + options_.workdir;
    return text;
  }
  std::string all;
  if (!text_ends_.empty())
    all = list_text_.substr(0, tasks ? text_ends_[tasks - 1] : 0);
  else
    for (std::size_t i = 0; i < tasks; ++i) all += entries_[i] + '\n';
  const std::string digest = digest_hex(all.data(), all.size());
  std::string text =
      tasks_file_.empty() ? "command=" + template_ + " args=" + args_file_ : "tasks=" + tasks_file_;
  text += " entries=" + std::to_string(tasks) + " digest=" + digest;
  if (!options_.workdir.empty()) text += " workdir=" + options_.workdir;
  return text;
}

std::string ExecJob::shard_command(const Shard& shard, int slot) const {
  ShardStrings strings{over_, "", "", shard.begin, shard.end, shard.id};
  if (const std::size_t colon = over_.rfind(":/"); colon != std::string::npos) {
    strings.file = over_.substr(0, colon);
    strings.dataset = over_.substr(colon + 1);
  }
  return expand_shard_template(template_, strings, shard.id + 1, slot);
}

std::string ExecJob::command(std::uint64_t item, int slot) const {
  if (template_.empty()) return entries_.at(item);
  return expand_template(template_, entries_.at(item), item + 1, slot);
}

}  // namespace shardrun::jobs
