// The text `shardrun report` prints.
#include <algorithm>
#include <cstdio>

#include "report/run_view.hpp"

namespace shardrun::report {
namespace {

std::string format(const char* fmt, auto... args) {
  char line[512];
  std::snprintf(line, sizeof line, fmt, args...);
  return line;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace

std::string summary_text(const RunView& v) {
  std::string out =
      format("report      %s%s\n", v.path.c_str(), v.from_checkpoint ? " (checkpoint)" : "");
  out += format("job         %s  %s\n", v.job.c_str(), v.parameters.c_str());
  if (!v.input.empty()) out += format("input       %s\n", v.input.c_str());
  if (!v.from_checkpoint) {
    out += format("run         %d rank(s) x %d thread(s) on %d node(s), balance %s\n", v.ranks,
                  v.threads, v.nodes, v.balance.c_str());
    out += format(
        "shards      %llu (%llu items); makespan %.3f s, wall %.3f s, first shard %.3f s "
        "after the start\n",
        static_cast<unsigned long long>(v.shards), static_cast<unsigned long long>(v.items),
        v.makespan_s, v.wall_s, v.first_shard_after_start_s);
    out += format("efficiency  %.3f (lower bound %.3f s = max(work / speed, longest shard))\n",
                  v.efficiency, v.lower_bound_s);
    std::uint64_t steals = 0, moved = 0;
    for (const RankRow& r : v.rank_rows) {
      steals += r.steals;
      moved += r.stolen_shards;
    }
    out += format("steals      %llu, moving %llu shards\n", static_cast<unsigned long long>(steals),
                  static_cast<unsigned long long>(moved));
    out += "\n rank   shards   busy s   idle s   steals   stolen        speed\n";
    for (std::size_t i = 0; i < v.rank_rows.size(); ++i) {
      const RankRow& r = v.rank_rows[i];
      out += format("%5zu %8llu %8.3f %8.3f %8llu %8llu %12.4g\n", i,
                    static_cast<unsigned long long>(r.shards), r.busy_s, r.idle_s,
                    static_cast<unsigned long long>(r.steals),
                    static_cast<unsigned long long>(r.stolen_shards), r.speed);
    }
  } else {
    out += format("shards      %llu of %llu done\n", static_cast<unsigned long long>(v.shards_done),
                  static_cast<unsigned long long>(v.shards));
  }
  if (!v.durations.empty()) {
    out += format(
        "\ndurations   min %.3g s, median %.3g s, p90 %.3g s, max %.3g s (%zu shards%s)\n",
        quantile(v.durations, 0), quantile(v.durations, 0.5), quantile(v.durations, 0.9),
        quantile(v.durations, 1), v.durations.size(), v.stride > 1 ? ", a uniform sample" : "");
  }
  if (!v.spans.empty()) {
    std::vector<const Span*> slowest;
    for (const Span& s : v.spans) slowest.push_back(&s);
    const std::size_t n = std::min<std::size_t>(5, slowest.size());
    std::partial_sort(
        slowest.begin(), slowest.begin() + static_cast<std::ptrdiff_t>(n), slowest.end(),
        [](const Span* a, const Span* b) { return a->end_s - a->start_s > b->end_s - b->start_s; });
    out += "slowest     ";
    for (std::size_t i = 0; i < n; ++i) {
      const Span& s = *slowest[i];
      if (s.attempt)
        out += format("%stask %llu attempt %u (rank %u slot %u%s) %.3g s", i ? ", " : "",
                      static_cast<unsigned long long>(s.shard), s.attempt, s.rank, s.thread + 1,
                      s.failed ? ", failed" : "", s.end_s - s.start_s);
      else
        out += format("%sshard %llu (rank %u thread %u%s) %.3g s", i ? ", " : "",
                      static_cast<unsigned long long>(s.shard), s.rank, s.thread,
                      s.stolen ? ", stolen" : "", s.end_s - s.start_s);
    }
    out += "\n";
    std::size_t failed = 0;
    for (const Span& s : v.spans) failed += s.failed;
    if (failed) out += format("failed      %zu attempt(s), red in the pictures\n", failed);
  }
  if (!v.has_timeline && !v.from_checkpoint)
    out += "(no timeline: the result of an older shardrun)\n";
  return out;
}

}  // namespace shardrun::report
