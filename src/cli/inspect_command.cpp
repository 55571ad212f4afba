// `shardrun inspect FILE`: what a checkpoint (or a result file) holds;
// `--status` answers done / resumable / failed in the exit status for scripts.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/run_lock.hpp"
#include "cli/commands.hpp"
#include "h5/h5_dataset.hpp"
#include "h5/h5_error.hpp"
#include "shapes/task_record.hpp"
#include "shardrun/registry.hpp"

namespace shardrun::cli {
namespace {

using checkpoint::CheckpointState;
using checkpoint::Fingerprint;
using checkpoint::RunEntry;
using checkpoint::RunLock;

std::string when(double unix_seconds) {
  if (unix_seconds <= 0) return "-";
  const auto t = static_cast<std::time_t>(unix_seconds);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return text;
}

class InspectCommand : public Command {
 public:
  InspectCommand(CLI::App* app, const Registry& registry) : Command(app), registry_(registry) {
    app->add_option("file", path_,
                    "Checkpoint file, or a task farm's result file; with --output: the TASK");
    app->add_option("--output", output_,
                    "A task farm's result file: print the output of task TASK (its stdout to "
                    "stdout, its stderr to stderr; from --output-mode files or tagged) and exit");
    app->add_flag("--joblog", joblog_,
                  "Print a task farm's attempts in GNU parallel's joblog format and exit");
    app->add_flag("--status", status_,
                  "Print done, resumable, running or failed and exit 0, 75, 75 or 1 (for batch "
                  "scripts: the launcher's exit status cannot say)");
    app->footer(
        "One task's output: shardrun inspect --output farm.h5 TASK.\n"
        "Exit status without --status: 0, or 2 when the file is not a readable checkpoint (or, "
        "with --output, not a task farm's result, or no such task).");
  }
  bool needs_mpi() const override { return false; }

  // A task farm's result file: its /tasks records.
  int inspect_result() {
    const h5::File file = h5::File::open_read(path_);
    std::vector<shapes::TaskRecord> records = shapes::read_records(file, "/tasks");
    if (joblog_) {
      std::printf("%s", shapes::joblog_text(records).c_str());
      return kExitOk;
    }
    const std::uint64_t count = file.read_u64_attribute("/tasks", "tasks");
    std::printf("result      %s\njob         %s  %s\n", path_.c_str(),
                file.read_string_attribute("/run", "job").c_str(),
                file.read_string_attribute("/run", "parameters").c_str());
    std::printf("%s", shapes::farm_report(records, count).c_str());
    if (file.has_link("/run/rank_quarantined")) {
      const auto flags =
          h5::read_values<std::uint8_t>(h5::Dataset::open(file, "/run/rank_quarantined"));
      std::string ranks;
      for (std::size_t r = 0; r < flags.size(); ++r)
        if (flags[r]) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
      if (!ranks.empty())
        std::printf("quarantined ranks %s (their last tasks all failed: see /tasks)\n",
                    ranks.c_str());
    }
    return kExitOk;
  }

  // `--output RESULT TASK`: one task's output, wherever the farm's mode put it.
  int print_task_output() const {
    std::uint64_t task = 0;
    const auto [end, ec] = std::from_chars(path_.data(), path_.data() + path_.size(), task);
    if (path_.empty() || ec != std::errc() || end != path_.data() + path_.size() || task == 0)
      throw UsageError("inspect --output " + output_ + ": give a task number (1, 2, ...), not '" +
                       path_ + "'");
    if (!h5::File::is_hdf5(output_))
      throw UsageError("inspect --output " + output_ + ": not a result file (no such HDF5 file)");
    const h5::File file = h5::File::open_read(output_);
    if (!file.has_link("/tasks"))
      throw UsageError(output_ + " is not the result file of a task farm");
    if (!file.has_attribute("/tasks", "output_mode"))
      throw UsageError(output_ +
                       " does not say where its tasks' output went (written by a "
                       "shardrun before --output-mode)");
    const std::uint64_t tasks = file.read_u64_attribute("/tasks", "tasks");
    if (task > tasks)
      throw UsageError(output_ + ": task " + path_ + " does not exist (" + std::to_string(tasks) +
                       " tasks)");
    const std::string mode = file.read_string_attribute("/tasks", "output_mode");
    const std::string dir = file.read_string_attribute("/tasks", "logdir");
    const std::string name = std::to_string(task);  // "007" is task 7
    if (mode == "files") {
      for (int stream = 1; stream <= 2; ++stream) {
        std::ifstream in(dir + "/" + name + (stream == 1 ? ".out" : ".err"), std::ios::binary);
        if (in) (stream == 1 ? std::cout : std::cerr) << in.rdbuf();
      }
    } else if (mode == "tagged") {
      // "TASK\t" tags a first attempt's lines, "TASK.ATTEMPT\t" a retry's;
      // each attempt ran on one rank, so its lines are in one file, in order.
      std::vector<std::filesystem::path> files;
      std::error_code error;
      for (const auto& e : std::filesystem::directory_iterator(dir, error)) {
        const std::string entry = e.path().filename().string();
        if (entry.size() > 9 && entry.starts_with("rank-") &&
            (entry.ends_with(".out") || entry.ends_with(".err")) &&
            entry.find_first_not_of("0123456789", 5) == entry.size() - 4)
          files.push_back(e.path());
      }
      if (error) throw UsageError(output_ + ": its --logdir " + dir + ": " + error.message());
      std::map<std::uint32_t, std::string> attempts[2];  // stdout, stderr
      std::string line;
      for (const auto& f : files) {
        std::map<std::uint32_t, std::string>& to = attempts[f.extension() == ".err"];
        std::ifstream in(f, std::ios::binary);
        while (std::getline(in, line)) {
          if (!line.starts_with(name)) continue;
          std::uint32_t attempt = 1;
          std::size_t at = name.size();
          if (at < line.size() && line[at] == '.') {
            const auto parsed =
                std::from_chars(line.data() + at + 1, line.data() + line.size(), attempt);
            if (parsed.ec != std::errc()) continue;
            at = static_cast<std::size_t>(parsed.ptr - line.data());
          }
          if (at >= line.size() || line[at] != '\t') continue;
          to[attempt].append(line, at + 1).push_back('\n');
        }
      }
      for (const auto& [attempt, text] : attempts[0]) std::cout << text;
      for (const auto& [attempt, text] : attempts[1]) std::cerr << text;
    } else {
      throw UsageError(output_ + ": the farm discarded its tasks' output (--output-mode none)");
    }
    return kExitOk;
  }

  int run() override {
    h5::silence_error_printing();
    if (!output_.empty()) return print_task_output();
    if (path_.empty()) throw UsageError("inspect: give a checkpoint or result FILE");
    if (!status_ && h5::File::is_hdf5(path_)) {
      bool result_file = false;
      try {
        const h5::File file = h5::File::open_read(path_);
        result_file = file.has_link("/tasks") && file.has_link("/run");
      } catch (const RuntimeError&) {
        // unreadable: read_checkpoint below says why, as a usage error
      }
      if (result_file) return inspect_result();
    }
    const long holder = RunLock::holder(path_);
    if (holder && !std::filesystem::exists(path_)) {  // started, nothing saved yet
      std::printf(status_ ? "running\n" : "%s: a run (pid %ld) is starting; nothing saved yet\n",
                  path_.c_str(), holder);
      return kExitStopped;
    }
    const CheckpointState state = checkpoint::read_checkpoint(path_);  // UsageError: exit 2
    const RunEntry* last = state.runs.empty() ? nullptr : &state.runs.back();
    std::string status = "resumable";
    int code = kExitStopped;
    if (state.complete) {
      status = "done", code = kExitOk;
    } else if (holder) {
      status = "running";
    } else if (last && last->how.rfind("failed", 0) == 0) {
      status = "failed", code = kExitRuntimeError;
    }
    if (status_) {
      std::printf("%s\n", status.c_str());
      return code;
    }
    const Fingerprint& f = state.fingerprint;
    const JobInfo* info = registry_.find(f.job);
    const bool farm = info && info->make()->shape() == JobShape::tasks;
    std::vector<shapes::TaskRecord> records;
    if (farm) {
      shapes::decode_records(state.shape_state, records);
      shapes::sort_records(records);
    }
    if (joblog_) {
      if (!farm) throw UsageError(path_ + " is not the checkpoint of a task farm");
      std::printf("%s", shapes::joblog_text(records).c_str());
      return kExitOk;
    }
    std::uint64_t done = 0;
    for (std::uint8_t d : state.done) done += d != 0;
    std::printf("checkpoint  %s (format %llu)\n", path_.c_str(),
                static_cast<unsigned long long>(CheckpointState::kFormatVersion));
    std::printf("job         %s (%s)  %s\n", f.job.c_str(), f.job_revision.c_str(),
                f.parameters.c_str());
    if (!f.input.empty())
      std::printf("input       %s  %s [%s], %llu bytes, sample %016llx\n", f.input.c_str(),
                  f.input_type.c_str(), f.input_shape.c_str(),
                  static_cast<unsigned long long>(f.input_file_bytes),
                  static_cast<unsigned long long>(f.input_sample));
    std::printf("plan        %llu shards over %llu items (%s)\n",
                static_cast<unsigned long long>(f.shards), static_cast<unsigned long long>(f.items),
                f.plan.c_str());
    std::printf("progress    %llu/%llu shards done (%.1f%%)\n",
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(f.shards),
                f.shards ? 100.0 * static_cast<double>(done) / static_cast<double>(f.shards) : 0.0);
    if (farm) std::printf("%s", shapes::farm_report(records, f.tasks).c_str());
    std::printf("status      %s%s\n", status.c_str(),
                holder ? (" (pid " + std::to_string(holder) + ")").c_str() : "");
    if (state.complete && !state.result_path.empty())
      std::printf("result      %s (run %s)\n", state.result_path.c_str(),
                  state.result_run_id.c_str());
    std::printf("runs        #  %-19s  %-19s  %-19s  ranks threads  how\n", "started", "last saved",
                "ended");
    for (std::size_t i = 0; i < state.runs.size(); ++i) {
      const RunEntry& r = state.runs[i];
      std::printf("            %-2zu %-19s  %-19s  %-19s  %5llu %7llu  %s%s%s\n", i,
                  when(r.started_s).c_str(), when(r.last_saved_s).c_str(), when(r.ended_s).c_str(),
                  static_cast<unsigned long long>(r.ranks),
                  static_cast<unsigned long long>(r.threads),
                  r.how == "running" && (i + 1 < state.runs.size() || !holder) ? "interrupted"
                                                                               : r.how.c_str(),
                  r.slurm_job_id.empty() ? "" : ", slurm job ", r.slurm_job_id.c_str());
    }
    for (auto it = state.runs.rbegin(); it != state.runs.rend(); ++it) {
      if (it->rank_speed.empty()) continue;
      std::printf("speeds      (work/s per rank, run %zu)",
                  static_cast<std::size_t>(state.runs.rend() - it - 1));
      for (double s : it->rank_speed) std::printf(" %.4g", s);
      std::printf("\n");
      break;
    }
    return kExitOk;
  }

 private:
  const Registry& registry_;
  std::string path_;
  std::string output_;
  bool status_ = false;
  bool joblog_ = false;
};

}  // namespace

std::unique_ptr<Command> setup_inspect(CLI::App& app, const Registry& registry) {
  CLI::App* sub = app.add_subcommand(
      "inspect",
      "Show a checkpoint (job, progress, runs, speeds; a task farm's tasks) or a task farm's "
      "result file; --status for scripts");
  return std::make_unique<InspectCommand>(sub, registry);
}

}  // namespace shardrun::cli
