// A result file's /run record and timeline, as a RunView.
#include <algorithm>
#include <filesystem>

#include "h5/h5_dataset.hpp"
#include "h5/h5_file.hpp"
#include "report/run_view.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::report {
namespace {

template <class T>
std::vector<T> read_vector(const h5::File& file, const std::string& name) {
  return h5::read_values<T>(h5::Dataset::open(file, name));
}

template <class T>
T at(const std::vector<T>& values, std::size_t i) {
  return i < values.size() ? values[i] : T{};
}

}  // namespace

RunView read_result(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw UsageError("report: " + path +
                     (std::filesystem::exists(path, ec) ? ": not a file" : ": no such file"));
  if (!h5::File::is_hdf5(path)) throw UsageError("report: " + path + " is not an HDF5 file");
  const h5::File file = h5::File::open_read(path);
  if (!file.has_link("/run") || !file.has_attribute("/run", "makespan_s"))
    throw UsageError("report: " + path +
                     " is not a shardrun result (no /run record) nor a checkpoint");
  RunView v;
  v.path = path;
  const auto text = [&](const char* name) {
    return file.has_attribute("/run", name) ? file.read_string_attribute("/run", name) : "";
  };
  const auto number = [&](const char* name) {
    return file.has_attribute("/run", name) ? file.read_double_attribute("/run", name) : 0.0;
  };
  const auto count = [&](const char* name) {
    return file.has_attribute("/run", name) ? file.read_u64_attribute("/run", name) : 0;
  };
  v.job = text("job");
  v.parameters = text("parameters");
  v.input = text("input");
  v.balance = text("balance");
  v.run_id = text("run_id");
  v.ranks = static_cast<int>(count("ranks"));
  v.threads = static_cast<int>(count("threads"));
  v.nodes = static_cast<int>(count("nodes"));
  v.shards = count("shards");
  v.items = count("items");
  v.wall_s = number("wall_s");
  v.makespan_s = number("makespan_s");
  v.lower_bound_s = number("lower_bound_s");
  v.efficiency = number("efficiency");
  v.started_s = number("started_s");
  if (number("first_shard_s") > 0 && number("started_s") > 0)
    v.first_shard_after_start_s = number("first_shard_s") - number("started_s");

  const auto shards = read_vector<std::uint64_t>(file, "/run/rank_shards");
  const auto busy = read_vector<double>(file, "/run/rank_busy_s");
  const auto idle = read_vector<double>(file, "/run/rank_idle_s");
  const auto steals = read_vector<std::uint64_t>(file, "/run/rank_steals");
  const auto stolen = read_vector<std::uint64_t>(file, "/run/rank_stolen_shards");
  const auto speed = read_vector<double>(file, "/run/rank_speed");
  for (std::size_t r = 0; r < shards.size(); ++r)
    v.rank_rows.push_back(
        {shards[r], at(busy, r), at(idle, r), at(steals, r), at(stolen, r), at(speed, r)});

  const std::string t = "/run/timeline";
  if (file.has_link(t)) {
    v.has_timeline = true;
    v.stride = file.read_u64_attribute(t, "stride");
    v.bin_s = file.read_double_attribute(t, "bin_s");
    v.shards_done = file.read_u64_attribute(t, "shards");
    const auto id = read_vector<std::uint64_t>(file, t + "/shard");
    const auto rank = read_vector<std::uint32_t>(file, t + "/rank");
    const auto thread = read_vector<std::uint16_t>(file, t + "/thread");
    const auto was_stolen = read_vector<std::uint8_t>(file, t + "/stolen");
    const auto start = read_vector<double>(file, t + "/start_s");
    const auto end = read_vector<double>(file, t + "/end_s");
    if (rank.size() != id.size() || thread.size() != id.size() || was_stolen.size() != id.size() ||
        start.size() != id.size() || end.size() != id.size())
      throw UsageError("report: " + path + ": " + t + " has datasets of different lengths");
    for (std::size_t i = 0; i < id.size(); ++i) {
      v.spans.push_back(
          {id[i], 0, rank[i], thread[i], was_stolen[i] != 0, false, start[i], end[i]});
      v.durations.push_back(end[i] - start[i]);
    }
    v.busy = read_vector<double>(file, t + "/rank_busy_s");
    v.bins = v.ranks > 0 ? v.busy.size() / static_cast<std::size_t>(v.ranks) : 0;
  }
  return v;
}

void use_attempts(RunView& v, const std::vector<Attempt>& attempts) {
  v.spans.clear();
  v.durations.clear();
  int slots = 1;
  for (const Attempt& a : attempts) {
    const double start = a.start_s - v.started_s;
    v.spans.push_back({a.task, a.attempt, a.rank, static_cast<std::uint16_t>(a.slot - 1), false,
                       a.failed, start, start + a.duration_s});
    v.durations.push_back(a.duration_s);
    slots = std::max(slots, static_cast<int>(a.slot));
  }
  v.threads = std::max(v.threads, slots);
  v.stride = 1;
  v.has_timeline = true;
}

}  // namespace shardrun::report
