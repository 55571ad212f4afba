// What the live status service tells about a running job (docs/status.md):
// a snapshot rank 0 publishes every tick, as JSON and Prometheus text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shardrun::status {

struct RankStatus {
  std::uint64_t shards_done = 0;
  double busy_s = 0;  // thread-seconds in shards
  std::uint64_t steals = 0;
  std::uint64_t stolen_shards = 0;
};

struct Snapshot {
  std::string job, parameters, input, balance, output, state = "running";
  int ranks = 1, threads = 1;
  std::uint64_t shards_total = 0, shards_done = 0, items_done = 0;
  std::uint64_t shards_running = 0;   // started and not yet done, every rank
  bool farm = false;                  // a task farm: its shards are its tasks
  std::uint64_t failed_attempts = 0;  // a farm's attempts that failed so far
  double bytes_per_item = 0;          // 0: an index domain
  double elapsed_s = 0;
  double checkpoint_age_s = -1;  // -1: no checkpoint saved yet, or none
  std::vector<RankStatus> ranks_status;
  // (elapsed_s, items_done) once a second, the last 600: throughput over time.
  std::vector<std::pair<double, std::uint64_t>> history;

  double throughput() const;  // items per second over the last ~10 s (or the run)
  double eta_s() const;       // -1: unknown
};

std::string to_json(const Snapshot& snapshot);
// The Prometheus text exposition format (version 0.0.4).
std::string to_prometheus(const Snapshot& snapshot);

}  // namespace shardrun::status
