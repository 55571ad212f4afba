// Where the time of a run went, gathered on rank 0: one row per shard
// (every shard up to kMaxEntries, beyond that every stride-th shard id, a
// uniform sample) and every rank's busy thread-seconds over time, in bins
// that widen as the run goes on. Written under /run/timeline (docs/timeline.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace shardrun::core {

struct TimelineEntry {
  std::uint64_t shard = 0;
  std::uint32_t rank = 0;
  std::uint16_t thread = 0;  // the worker thread (or task slot) of the rank
  bool stolen = false;       // it ran on a rank that stole it
  double start_s = 0;        // base::wall_seconds()
  double end_s = 0;
};

class Timeline {
 public:
  static constexpr std::uint64_t kMaxEntries = 1'000'000;
  static constexpr std::size_t kBins = 256;

  // Every stride-th shard id has a row: 1 up to kMaxEntries shards.
  static std::uint64_t stride_for(std::uint64_t shard_count) {
    return std::max<std::uint64_t>(1, (shard_count + kMaxEntries - 1) / kMaxEntries);
  }
  // `origin`: the run's start (wall seconds); shards of the plan; ranks.
  Timeline(double origin, std::uint64_t shard_count, int ranks);

  // A shard that ended. Its row goes straight to its slot (shard / stride),
  // so the rows are in shard order with no sort; a shard recorded again
  // (a rerun) replaces its row.
  void add(const TimelineEntry& entry);

  // Busy thread-seconds over time, bins that widen as the run goes on.
  struct Busy {
    double bin_s = 1e-3;
    std::vector<double> busy;  // ranks x kBins
  };
  // What one rank recorded on its own (DoneLedger): the rows of its sampled
  // shards (ids that are multiples of stride()) and, for a sample, its busy
  // bins over every shard it ran (one rank's kBins), `seen` shards in all.
  void add_rank(std::uint32_t rank, std::span<const TimelineEntry> sampled_rows,
                const Busy& rank_busy, std::uint64_t seen);
  // The row of a sampled shard (its id a multiple of stride()), and nothing
  // else: a later attempt of the shard replaces it.
  void add_sampled(const TimelineEntry& entry) {
    if (entry.shard % stride_ == 0) add_row(entry, entry.shard / stride_);
  }
  // Adds [start, end) (seconds from origin) to `rank`'s bins of `bins`,
  // widening every rank's bins as needed.
  static void add_busy(Busy& bins, int ranks, std::uint32_t rank, double start, double end);

  // The rows of the shards seen, by shard id; seconds from origin().
  struct Rows {
    std::vector<std::uint64_t> shard;
    std::vector<std::uint32_t> rank;
    std::vector<std::uint16_t> thread;
    std::vector<std::uint8_t> stolen;
    std::vector<double> start_s, end_s;
  };
  Rows rows() const;

  double origin() const { return origin_; }
  std::uint64_t stride() const { return stride_; }  // 1: every shard has a row
  std::uint64_t shards_seen() const { return seen_; }

  // busy[rank * kBins + bin]: thread-seconds the rank spent in shards in
  // [origin + bin × bin_s, origin + (bin + 1) × bin_s), over every shard.
  Busy busy() const;

 private:
  // A slot's rank, thread and stolen flag in one word: rank << 32 |
  // stolen << 16 | thread; kUnseen until its shard ends.
  static constexpr std::uint64_t kUnseen = ~std::uint64_t{0};
  static std::uint32_t rank_of(std::uint64_t place) {
    return static_cast<std::uint32_t>(place >> 32);
  }

  // Doubles the bins' width, merging pairs, until they reach `bin_s`.
  static void widen(Busy& bins, int ranks, double bin_s);
  void add_row(const TimelineEntry& entry, std::uint64_t slot);

  double origin_;
  std::uint64_t stride_;
  int ranks_;
  // One slot per sampled shard id.
  std::vector<std::uint64_t> place_;
  std::vector<double> start_, end_;  // from origin_
  std::uint64_t seen_ = 0;
  std::uint64_t rows_ = 0;
  double last_end_ = 0;
  // Only for a sample (stride > 1): the bins of every shard, kept as they
  // come. Every shard has a row otherwise, and busy() bins them once.
  Busy sampled_busy_;
};

}  // namespace shardrun::core
