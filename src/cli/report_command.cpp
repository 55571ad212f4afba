// `shardrun report FILE [--svg F] [--html F]`: where a run's time went, from
// a result file's /run record and timeline, or a checkpoint's shard times.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "checkpoint/checkpoint_file.hpp"
#include "cli/commands.hpp"
#include "h5/h5_error.hpp"
#include "h5/h5_file.hpp"
#include "report/run_view.hpp"
#include "shapes/task_record.hpp"

namespace shardrun::cli {
namespace {

// A checkpoint knows each done shard's duration, not where or when it ran.
report::RunView from_checkpoint(const std::string& path) {
  const checkpoint::CheckpointState state = checkpoint::read_checkpoint(path);
  report::RunView v;
  v.path = path;
  v.from_checkpoint = true;
  v.job = state.fingerprint.job;
  v.parameters = state.fingerprint.parameters;
  v.shards = state.fingerprint.shards;
  v.items = state.fingerprint.items;
  for (std::size_t i = 0; i < state.done.size(); ++i) {
    if (!state.done[i]) continue;
    ++v.shards_done;
    if (i < state.shard_seconds.size() && std::isfinite(state.shard_seconds[i]))
      v.durations.push_back(state.shard_seconds[i]);
  }
  return v;
}

void write_file(const std::string& path, const std::string& text, const char* option) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw UsageError(std::string(option) + ": cannot write " + path);
  out << text;
  out.close();
  if (!out) throw RuntimeError(std::string(option) + ": writing " + path + " failed");
}

// A task farm's result: its attempts (every retry, failures) are the lanes.
void add_farm_attempts(report::RunView& view) {
  const h5::File file = h5::File::open_read(view.path);
  if (!file.has_link("/tasks")) return;
  std::vector<report::Attempt> attempts;
  for (const shapes::TaskRecord& r : shapes::read_records(file, "/tasks"))
    attempts.push_back({r.task, r.attempt, static_cast<std::uint32_t>(r.rank),
                        static_cast<std::uint32_t>(std::max(1, r.slot)), r.start_s, r.duration_s,
                        !r.succeeded()});
  report::use_attempts(view, attempts);
}

class ReportCommand : public Command {
 public:
  explicit ReportCommand(CLI::App* app) : Command(app) {
    app->add_option("file", path_, "A result file (or a checkpoint)")->required();
    app->add_option("--svg", svg_, "Write the timeline pictures as SVG to this file");
    app->add_option("--html", html_,
                    "Write a standalone HTML page (pictures and summary, no external assets)");
    app->footer(
        "Prints the run's summary: ranks and threads, makespan, efficiency, a per-rank table "
        "(shards, busy and idle seconds, steals, speed), the slowest shards and the spread of "
        "shard durations. The pictures: a Gantt chart of the shards (a lane per rank x thread; "
        "stolen shards in orange), utilization over time and a histogram of shard durations. "
        "A checkpoint has shard durations only. Exit 2 when FILE is neither.");
  }
  bool needs_mpi() const override { return false; }

  int run() override {
    h5::silence_error_printing();
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec))
      throw UsageError("report: " + path_ + ": no such file");
    report::RunView view;
    bool result = false;
    if (h5::File::is_hdf5(path_)) {
      try {
        result = h5::File::open_read(path_).has_link("/run");
      } catch (const RuntimeError&) {
      }
    }
    view = result ? report::read_result(path_) : from_checkpoint_or_refuse();
    if (result) add_farm_attempts(view);
    std::printf("%s", report::summary_text(view).c_str());
    if (!svg_.empty()) write_file(svg_, report::timeline_svg(view), "--svg");
    if (!html_.empty()) write_file(html_, report::timeline_html(view), "--html");
    return kExitOk;
  }

 private:
  report::RunView from_checkpoint_or_refuse() {
    try {
      return from_checkpoint(path_);
    } catch (const UsageError&) {
      throw UsageError("report: " + path_ + " is neither a shardrun result nor a checkpoint");
    }
  }
  std::string path_, svg_, html_;
};

}  // namespace

std::unique_ptr<Command> setup_report(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "report", "Where a run's time went: per-rank table, slowest shards, timeline pictures");
  return std::make_unique<ReportCommand>(sub);
}

}  // namespace shardrun::cli
