// What recording the timeline costs, measured on its own, in ns per shard
// (median of repetitions); bench/timeline_ab.py relates it to the
// scheduling-overhead case's time per shard.
// - log: what a rank does per shard that ends: DoneLedger stores a 32-byte
//   row (id, rank, thread, stolen, start, end), against the 16 bytes (id,
//   seconds) a ledger without the timeline would store;
// - end: what rank 0 does once, after the last shard: the ranks' rows into
//   their slots (two ranks' runs of ids), then the rows and busy bins that
//   are written.
//   timeline_cost [SHARDS=400000] [REPS=21]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/timeline.hpp"

namespace {

using shardrun::core::Timeline;
using shardrun::core::TimelineEntry;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct IdSeconds {
  std::uint64_t id;
  double seconds;
};

// Stores `shards` rows as a ledger does, into memory already written (the
// ledger's log is, and a ledger without the timeline reuses its buffer
// between sends); returns ns per shard.
template <class Row, class Make>
double append_ns(std::uint64_t shards, std::vector<Row>& rows, Make make) {
  rows.assign(shards, Row{});
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < shards; ++i)
    rows[i] = make(i, 100.0 + 2e-7 * static_cast<double>(i));
  return seconds_since(t0) * 1e9 / static_cast<double>(shards);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t shards = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 400'000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 21;
  std::vector<double> log_ns, plain_ns, end_ns;
  std::uint64_t sink = 0;
  std::vector<TimelineEntry> log;
  std::vector<IdSeconds> plain;
  for (int rep = 0; rep < reps; ++rep) {
    log_ns.push_back(append_ns(shards, log, [](std::uint64_t i, double at) {
      return TimelineEntry{i, 0, 0, false, at, at + 1e-7};
    }));
    plain_ns.push_back(append_ns(shards, plain, [](std::uint64_t i, double) {
      return IdSeconds{i, 1e-7};
    }));
    for (std::uint64_t i = shards / 2; i < shards; ++i) log[i].rank = 1;
    Timeline timeline(100.0, shards, 2);  // allocated before the run, as the ledger does
    const auto t1 = std::chrono::steady_clock::now();
    const auto half = static_cast<std::ptrdiff_t>(shards / 2);
    timeline.add_rank(0, {log.begin(), log.begin() + half}, {}, shards / 2);
    timeline.add_rank(1, {log.begin() + half, log.end()}, {}, shards - shards / 2);
    const auto rows = timeline.rows();
    const auto busy = timeline.busy();
    end_ns.push_back(seconds_since(t1) * 1e9 / static_cast<double>(shards));
    sink += rows.shard.size() + busy.busy.size();
  }
  std::printf("shards %llu log_ns %.2f plain_ns %.2f end_ns %.2f (rows %llu)\n",
              static_cast<unsigned long long>(shards), median(log_ns), median(plain_ns),
              median(end_ns),
              static_cast<unsigned long long>(sink / static_cast<std::uint64_t>(reps)));
}
