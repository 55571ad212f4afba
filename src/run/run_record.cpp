#include "run/run_record.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "base/clock.hpp"
#include "h5/h5_dataset.hpp"
#include "h5/h5_record.hpp"

namespace shardrun::run {

void write_run_record(h5::File& file, const RunRecord& r) {
  static const std::vector<h5::Field<RunRecord>> fields = {
      {"job", &RunRecord::job},
      {"job_revision", &RunRecord::job_revision},
      {"job_origin", &RunRecord::job_origin},
      {"parameters", &RunRecord::parameters},
      {"input", &RunRecord::input},
      {"balance", &RunRecord::balance},
      {"version", &RunRecord::version},
      {"run_id", &RunRecord::run_id},
      {"ranks", &RunRecord::ranks},
      {"threads", &RunRecord::threads},
      {"nodes", &RunRecord::nodes},
      {"one_sided", &RunRecord::one_sided},
      {"shards", &RunRecord::shards},
      {"items", &RunRecord::items},
      {"wall_s", &RunRecord::wall_s},
      {"makespan_s", &RunRecord::makespan_s},
      {"started_s", &RunRecord::started_s},
      {"first_shard_s", &RunRecord::first_shard_s},
      {"lower_bound_s", &RunRecord::lower_bound_s},
      {"efficiency", &RunRecord::efficiency},
  };
  file.create_group("/run");
  h5::write_fields(file, "/run", r, fields);
  auto write = [&](const char* name, const auto& values) {
    h5::write_vector(file, std::string("/run/") + name, values);
  };
  write("rank_shards", r.rank_shards);
  write("rank_busy_s", r.rank_busy_s);
  write("rank_steals", r.rank_steals);
  write("rank_stolen_shards", r.rank_stolen_shards);
  write("rank_idle_s", r.rank_idle_s);
  write("rank_speed", r.rank_speed);
  write("rank_quarantined", r.rank_quarantined);
}

void write_timeline(h5::File& file, const core::Timeline& timeline, const FarmColumns& farm) {
  const core::Timeline::Rows rows = timeline.rows();
  const std::string group = "/run/timeline";
  file.create_group(group);
  file.write_attribute(group, "stride", timeline.stride());
  file.write_attribute(group, "limit", core::Timeline::kMaxEntries);
  file.write_attribute(group, "shards", timeline.shards_seen());
  const core::Timeline::Busy busy = timeline.busy();
  file.write_attribute(group, "bin_s", busy.bin_s);
  h5::write_vector(file, group + "/shard", rows.shard);
  h5::write_vector(file, group + "/rank", rows.rank);
  h5::write_vector(file, group + "/thread", rows.thread);
  h5::write_vector(file, group + "/stolen", rows.stolen);
  h5::write_vector(file, group + "/start_s", rows.start_s);
  h5::write_vector(file, group + "/end_s", rows.end_s);
  if (!farm.shard_task.empty()) {
    std::vector<std::uint64_t> task;  // farm.shard_task is by shard, as rows
    std::vector<std::uint32_t> attempts;
    for (const auto& [id, first, most] : farm.shard_task) {
      task.push_back(first);
      attempts.push_back(most);
    }
    h5::write_vector(file, group + "/task", task);
    h5::write_vector(file, group + "/attempts", attempts);
  }
  const std::uint64_t ranks = busy.busy.size() / core::Timeline::kBins;
  h5::Dataset::create(file, group + "/rank_busy_s", ElementType::f64,
                      {ranks, core::Timeline::kBins}, {})
      .write_all(ElementType::f64, busy.busy.data());
}

void derive_efficiency(RunRecord& r, const std::vector<double>& rank_work, double longest_shard_s) {
  const auto ranks = rank_work.size();
  r.rank_idle_s.assign(ranks, 0);
  r.rank_speed.assign(ranks, 0);
  double total_speed = 0, total_work = 0;
  for (std::size_t i = 0; i < ranks; ++i) {
    const double busy = r.rank_busy_s[i] / r.threads;  // seconds the rank's threads were all busy
    r.rank_idle_s[i] = std::max(0.0, r.makespan_s - busy);
    if (busy > 0) r.rank_speed[i] = rank_work[i] / busy;
    total_speed += r.rank_speed[i];
    total_work += rank_work[i];
  }
  // T* = W / Σ s_i: every rank busy until the same instant.
  const double ideal = total_speed > 0 ? total_work / total_speed : 0;
  r.lower_bound_s = std::max(ideal, longest_shard_s);
  r.efficiency = r.makespan_s > 0 ? r.lower_bound_s / r.makespan_s : 0;
}

std::string new_run_id() {
  std::random_device entropy;
  const std::uint64_t id = (std::uint64_t{entropy()} << 32) ^ entropy() ^
                           static_cast<std::uint64_t>(base::wall_seconds() * 1e6);
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

std::string run_id_of(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || !h5::File::is_hdf5(path)) return "";
  try {
    const h5::File file = h5::File::open_read(path);
    if (!file.has_link("/run") || !file.has_attribute("/run", "run_id")) return "";
    return file.read_string_attribute("/run", "run_id");
  } catch (const std::exception&) {
    return "";  // unreadable: not this run's result
  }
}

std::string format_summary(const RunRecord& r, const std::string& job_summary,
                           const std::string& digest) {
  char line[256];
  std::string out = "shardrun: " + r.job + " done: " + job_summary + "\n";
  std::snprintf(line, sizeof line,
                "shardrun: %llu items in %llu shards on %d rank(s) x %d thread(s), balance %s\n",
                static_cast<unsigned long long>(r.items), static_cast<unsigned long long>(r.shards),
                r.ranks, r.threads, r.balance.c_str());
  out += line;
  std::uint64_t steals = 0, stolen = 0;
  for (std::size_t i = 0; i < r.rank_steals.size(); ++i) {
    steals += r.rank_steals[i];
    stolen += r.rank_stolen_shards[i];
  }
  std::snprintf(
      line, sizeof line,
      "shardrun: efficiency %.3f (lower bound %.3f s = max(work / speed, longest shard)), "
      "%llu steals moved %llu shards\n",
      r.efficiency, r.lower_bound_s, static_cast<unsigned long long>(steals),
      static_cast<unsigned long long>(stolen));
  out += line;
  const double seconds = r.makespan_s > 0 ? r.makespan_s : r.wall_s;
  if (r.bytes > 0)
    std::snprintf(line, sizeof line, "shardrun: wall %.3f s, makespan %.3f s, %.2f GB/s", r.wall_s,
                  r.makespan_s, static_cast<double>(r.bytes) / seconds / 1e9);
  else
    std::snprintf(line, sizeof line, "shardrun: wall %.3f s, makespan %.3f s, %.3g items/s",
                  r.wall_s, r.makespan_s, static_cast<double>(r.items) / seconds);
  out += line;
  out += digest.empty() ? "\n" : ", digest " + digest + "\n";
  return out;
}

}  // namespace shardrun::run
