// The record of one run: the /run group of the output file and the summary.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "core/timeline.hpp"
#include "h5/h5_file.hpp"

namespace shardrun::run {

struct RunRecord {
  std::string job;
  std::string job_revision;  // RunOptions::job_revision
  std::string job_origin;    // "built in", or the plugin file
  std::string parameters;
  std::string input;  // "FILE.h5:/path", or empty for index domains
  std::string balance;
  std::string version = SHARDRUN_VERSION;
  std::string run_id;  // new_run_id() of the run that wrote this result
  int ranks = 1;
  int threads = 1;
  int nodes = 1;          // hosts the ranks ran on
  std::string one_sided;  // how ranks reached each other's windows (mpi::Transport)
  std::uint64_t shards = 0;
  std::uint64_t items = 0;
  std::uint64_t bytes = 0;   // input bytes; 0 for index domains
  double wall_s = 0;         // the run, start to end, on rank 0
  double makespan_s = 0;     // first shard start to last shard end, all ranks
  double started_s = 0;      // Unix time rank 0 began the run
  double first_shard_s = 0;  // Unix time the first shard started, any rank
  double lower_bound_s = 0;  // max(work / Σ rank speeds, longest shard)
  double efficiency = 0;     // lower_bound_s / makespan_s
  std::vector<std::uint64_t> rank_shards;
  std::vector<double> rank_busy_s;  // thread-seconds spent in shards
  std::vector<std::uint64_t> rank_steals;
  std::vector<std::uint64_t> rank_stolen_shards;
  std::vector<double> rank_idle_s;             // makespan − busy_s / threads
  std::vector<double> rank_speed;              // work per second while the rank's threads are busy
  std::vector<std::uint8_t> rank_quarantined;  // 1: a farm's rank that stopped taking tasks
};

// Per-rank figures as measured; fills makespan-derived fields of the record:
// rank_idle_s, rank_speed, lower_bound_s, efficiency.
// rank_work: each rank's Job::work() total (items unless the job knows better).
void derive_efficiency(RunRecord& record, const std::vector<double>& rank_work,
                       double longest_shard_s);

// Writes group /run: attributes job, parameters, input, ranks, threads, shards,
// items, balance, wall_s, makespan_s, lower_bound_s, efficiency, version;
// datasets rank_shards, rank_busy_s, rank_steals, rank_stolen_shards,
// rank_idle_s, rank_speed, rank_quarantined.
void write_run_record(h5::File& file, const RunRecord& record);

// Writes group /run/timeline: one row per shard of this run (or of the
// sample, attribute stride) in datasets shard, rank, thread, stolen,
// start_s, end_s (seconds since the run started), sorted by shard; and
// rank_busy_s (ranks × bins of bin_s seconds). docs/timeline.md.
// A task farm's rows also get datasets task (the shard's first task, 1-based)
// and attempts (the most any of its tasks took).
struct FarmColumns {
  std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint32_t>>
      shard_task;  // shard, task, attempts
};
void write_timeline(h5::File& file, const core::Timeline& timeline, const FarmColumns& farm = {});

// 16 random hex digits naming one run (and the result it writes).
std::string new_run_id();

// The run_id attribute of `path`'s /run record; empty when the file is
// missing, not HDF5, or holds no run record. Rank 0, serial.
std::string run_id_of(const std::string& path);

// The lines rank 0 prints when a run ends.
std::string format_summary(const RunRecord& record, const std::string& job_summary,
                           const std::string& digest);

}  // namespace shardrun::run
