// What `shardrun report` shows of a run: the /run record of a result file
// (with its timeline), or what a checkpoint knows (shard durations, runs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shardrun::report {

struct RankRow {
  std::uint64_t shards = 0;
  double busy_s = 0;  // thread-seconds in shards
  double idle_s = 0;
  std::uint64_t steals = 0;
  std::uint64_t stolen_shards = 0;
  double speed = 0;  // work per busy second
};

struct Span {
  std::uint64_t shard = 0;    // a task farm's attempt: its task (1-based)
  std::uint32_t attempt = 0;  // a task farm's attempt number; 0: a shard
  std::uint32_t rank = 0;
  std::uint16_t thread = 0;
  bool stolen = false;
  bool failed = false;  // a farm's task that failed
  double start_s = 0;   // since the run started
  double end_s = 0;
};

struct RunView {
  std::string path;
  bool from_checkpoint = false;
  std::string job, parameters, input, balance, run_id;
  int ranks = 1, threads = 1, nodes = 1;
  std::uint64_t shards = 0, items = 0;
  double wall_s = 0, makespan_s = 0, lower_bound_s = 0, efficiency = 0;
  double first_shard_after_start_s = 0;  // start-up: run start to first shard
  double started_s = 0;                  // Unix time the run began
  std::vector<RankRow> rank_rows;
  // The timeline (result files of this version): every shard, or every
  // stride-th one, and busy thread-seconds per rank × bin.
  bool has_timeline = false;
  std::vector<Span> spans;
  std::uint64_t stride = 1;
  std::vector<double> busy;  // ranks × bins
  std::size_t bins = 0;
  double bin_s = 0;
  // Every duration known: the timeline's, or a checkpoint's shard_seconds.
  std::vector<double> durations;
  std::uint64_t shards_done = 0;
};

// Reads a shardrun result file; throws UsageError when `path` is not one.
RunView read_result(const std::string& path);

// A task farm's attempts (from its /tasks records) in place of the shards:
// a lane per rank × slot, failed attempts marked.
struct Attempt {
  std::uint64_t task = 0;
  std::uint32_t attempt = 1;
  std::uint32_t rank = 0;
  std::uint32_t slot = 1;  // 1-based
  double start_s = 0;      // Unix time
  double duration_s = 0;
  bool failed = false;
};
void use_attempts(RunView& view, const std::vector<Attempt>& attempts);

// The per-rank table, efficiency, slowest shards and steals, as text.
std::string summary_text(const RunView& view);

// Pictures: a Gantt chart (a lane per rank × thread, aggregated beyond what
// fits), utilization over time and a histogram of shard durations. The
// HTML page is standalone (the SVG inline, no external assets).
std::string timeline_svg(const RunView& view);
std::string timeline_html(const RunView& view);

}  // namespace shardrun::report
