#include "status/status_snapshot.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace shardrun::status {

double Snapshot::throughput() const {
  if (history.size() >= 2) {
    // Over the last ~10 s of history, so a slow start does not linger.
    const auto& last = history.back();
    std::size_t first = history.size() - 1;
    while (first > 0 && last.first - history[first - 1].first <= 10.0) --first;
    if (first == history.size() - 1) first = history.size() - 2;
    const double dt = last.first - history[first].first;
    if (dt > 0) return static_cast<double>(last.second - history[first].second) / dt;
  }
  return elapsed_s > 0 ? static_cast<double>(items_done) / elapsed_s : 0;
}

double Snapshot::eta_s() const {
  if (shards_done == 0 || shards_total <= shards_done || elapsed_s <= 0) return -1;
  const double rate = static_cast<double>(shards_done) / elapsed_s;  // shards per second
  return static_cast<double>(shards_total - shards_done) / rate;
}

std::string to_json(const Snapshot& s) {
  nlohmann::json ranks = nlohmann::json::array();
  for (std::size_t r = 0; r < s.ranks_status.size(); ++r) {
    const RankStatus& rs = s.ranks_status[r];
    const double busy_fraction =
        s.elapsed_s > 0 ? rs.busy_s / (s.elapsed_s * std::max(1, s.threads)) : 0;
    ranks.push_back({{"rank", r},
                     {"shards_done", rs.shards_done},
                     {"busy_s", rs.busy_s},
                     {"idle_s", std::max(0.0, s.elapsed_s - rs.busy_s / std::max(1, s.threads))},
                     {"busy_fraction", busy_fraction},
                     {"steals", rs.steals},
                     {"stolen_shards", rs.stolen_shards},
                     {"shards_per_busy_s",
                      rs.busy_s > 0 ? static_cast<double>(rs.shards_done) / rs.busy_s : 0.0}});
  }
  nlohmann::json history = nlohmann::json::array();
  for (const auto& [t, items] : s.history) history.push_back({t, items});
  const double rate = s.throughput();
  nlohmann::json j = {
      {"job", s.job},
      {"parameters", s.parameters},
      {"input", s.input},
      {"output", s.output},
      {"balance", s.balance},
      {"state", s.state},
      {"ranks", s.ranks},
      {"threads", s.threads},
      {"progress",
       {{"shards_done", s.shards_done},
        {"shards_total", s.shards_total},
        {"fraction", s.shards_total
                         ? static_cast<double>(s.shards_done) / static_cast<double>(s.shards_total)
                         : 0.0},
        {"items_done", s.items_done},
        {"shards_running", s.shards_running}}},
      {"elapsed_s", s.elapsed_s},
      {"throughput", {{"items_per_s", rate}, {"bytes_per_s", rate * s.bytes_per_item}}},
      {"eta_s", s.eta_s() < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.eta_s())},
      {"checkpoint_age_s",
       s.checkpoint_age_s < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.checkpoint_age_s)},
      {"tasks", s.farm ? nlohmann::json{{"running", s.shards_running},
                                        {"failed_attempts", s.failed_attempts}}
                       : nlohmann::json(nullptr)},
      {"per_rank", ranks},
      {"history", history},
  };
  return j.dump();
}

std::string to_prometheus(const Snapshot& s) {
  std::string out;
  char line[256];
  const auto metric = [&](const char* name, const char* type, const char* help, double value) {
    std::snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name,
                  type, name, value);
    out += line;
  };
  metric("shardrun_shards_done", "gauge", "Shards done, including those of resumed runs",
         static_cast<double>(s.shards_done));
  metric("shardrun_shards_total", "gauge", "Shards in the plan",
         static_cast<double>(s.shards_total));
  metric("shardrun_items_done", "gauge", "Items done by this run",
         static_cast<double>(s.items_done));
  metric("shardrun_shards_running", "gauge", "Shards started and not yet done (a farm: tasks)",
         static_cast<double>(s.shards_running));
  if (s.farm)
    metric("shardrun_task_attempts_failed_total", "counter", "A task farm's attempts that failed",
           static_cast<double>(s.failed_attempts));
  metric("shardrun_elapsed_seconds", "gauge", "Seconds since the run started", s.elapsed_s);
  metric("shardrun_throughput_items_per_second", "gauge", "Items per second, recent",
         s.throughput());
  metric("shardrun_eta_seconds", "gauge", "Estimated seconds left (-1: unknown)", s.eta_s());
  metric("shardrun_checkpoint_age_seconds", "gauge",
         "Seconds since the last checkpoint (-1: none yet)", s.checkpoint_age_s);
  metric("shardrun_ranks", "gauge", "Ranks of the run", s.ranks);
  const auto per_rank = [&](const char* name, const char* type, const char* help, auto value) {
    std::snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    out += line;
    for (std::size_t r = 0; r < s.ranks_status.size(); ++r) {
      std::snprintf(line, sizeof line, "%s{rank=\"%zu\"} %.17g\n", name, r,
                    static_cast<double>(value(s.ranks_status[r])));
      out += line;
    }
  };
  per_rank("shardrun_rank_shards_done", "gauge", "Shards a rank finished in this run",
           [](const RankStatus& r) { return r.shards_done; });
  per_rank("shardrun_rank_busy_seconds", "gauge", "Thread-seconds a rank spent in shards",
           [](const RankStatus& r) { return r.busy_s; });
  per_rank("shardrun_rank_steals", "gauge", "Successful steals by a rank",
           [](const RankStatus& r) { return r.steals; });
  return out;
}

}  // namespace shardrun::status
