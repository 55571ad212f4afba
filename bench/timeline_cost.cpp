// What recording the timeline costs rank 0, measured on its own: the time to
// add N shards' rows (in the order ranks report them: two interleaved runs
// of ids) and to build the rows and busy bins written at the end, in ns per
// shard, median of repetitions. bench/timeline_ab.py relates it to the
// scheduling-overhead case's time per shard.
//   timeline_cost [SHARDS=400000] [REPS=21]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/timeline.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t shards = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 400'000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 21;
  std::vector<double> add_ns, end_ns;
  std::uint64_t sink = 0;
  for (int rep = 0; rep < reps; ++rep) {
    shardrun::core::Timeline timeline(100.0, shards,
                                      2);  // allocated before the run, as the ledger does
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < shards; ++i) {
      const std::uint64_t id = (i % 2 == 0) ? i / 2 : shards / 2 + i / 2;  // rank 0's and rank 1's
      const double at = 100.0 + static_cast<double>(i) * 2e-7;
      timeline.add({id, static_cast<std::uint32_t>(i % 2), 0, false, at, at + 1e-7});
    }
    add_ns.push_back(seconds_since(t0) * 1e9 / static_cast<double>(shards));
    const auto t1 = std::chrono::steady_clock::now();
    const auto rows = timeline.rows();
    const auto busy = timeline.busy();
    end_ns.push_back(seconds_since(t1) * 1e9 / static_cast<double>(shards));
    sink += rows.shard.size() + busy.busy.size();
  }
  std::printf("shards %llu add_ns %.2f end_ns %.2f (rows %llu)\n",
              static_cast<unsigned long long>(shards), median(add_ns), median(end_ns),
              static_cast<unsigned long long>(sink / static_cast<std::uint64_t>(reps)));
}
