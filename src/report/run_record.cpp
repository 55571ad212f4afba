#include "report/run_record.hpp"

#include <cstdio>

#include "h5/h5_dataset.hpp"

namespace shardrun {

void write_run_record(h5::File& file, const RunRecord& r) {
  file.create_group("/run");
  file.write_attribute("/run", "job", r.job);
  file.write_attribute("/run", "parameters", r.parameters);
  file.write_attribute("/run", "input", r.input);
  file.write_attribute("/run", "balance", r.balance);
  file.write_attribute("/run", "version", r.version);
  file.write_attribute("/run", "ranks", static_cast<std::uint64_t>(r.ranks));
  file.write_attribute("/run", "threads", static_cast<std::uint64_t>(r.threads));
  file.write_attribute("/run", "shards", r.shards);
  file.write_attribute("/run", "items", r.items);
  file.write_attribute("/run", "wall_s", r.wall_s);
  file.write_attribute("/run", "makespan_s", r.makespan_s);
  const std::vector<std::uint64_t> dims = {r.rank_shards.size()};
  h5::Dataset::create(file, "/run/rank_shards", ElementType::u64, dims, {})
      .write_all(ElementType::u64, r.rank_shards.data());
  h5::Dataset::create(file, "/run/rank_busy_s", ElementType::f64, dims, {})
      .write_all(ElementType::f64, r.rank_busy_s.data());
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
  const double seconds = r.makespan_s > 0 ? r.makespan_s : r.wall_s;
  if (r.bytes > 0)
    std::snprintf(line, sizeof line,
                  "shardrun: wall %.3f s, makespan %.3f s, %.2f GB/s, digest %s\n", r.wall_s,
                  r.makespan_s, static_cast<double>(r.bytes) / seconds / 1e9, digest.c_str());
  else
    std::snprintf(line, sizeof line,
                  "shardrun: wall %.3f s, makespan %.3f s, %.3g items/s, digest %s\n", r.wall_s,
                  r.makespan_s, static_cast<double>(r.items) / seconds, digest.c_str());
  out += line;
  return out;
}

std::string digest_hex(const void* data, std::size_t size) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 0x100000001b3ull;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace shardrun
