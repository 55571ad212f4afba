// Which shards are done, gathered on rank 0 while the job runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/executor.hpp"
#include "core/timeline.hpp"
#include "mpi/mailbox.hpp"

namespace shardrun::core {

// What travels to rank 0 beside the ids of finished shards: a shape's
// results of those shards (folded partials, task records). Main thread only.
class ShardResults {
 public:
  virtual ~ShardResults() = default;
  // Non-root ranks: what was gathered since the last call.
  virtual Bytes take_delta() = 0;
  // Rank 0: folds in another rank's delta (or a checkpoint's saved state).
  virtual void add_delta(std::span<const std::byte> delta) = 0;
};

// Every rank records its finished shards. Non-root ranks send rank 0 what
// they finished since their last send (shard ids, seconds, and the runner's
// results: folded partials, task records) every send_interval and once more at the end; rank
// 0 merges deltas as they arrive. What rank 0 holds is therefore always a
// consistent set of done shards with their partials: what a checkpoint saves,
// and at the end the whole job. No global stop: nobody waits for anybody
// until finish(). Main thread only.
class DoneLedger {
 public:
  // Collective (the mailbox duplicates the communicator). `origin`: when
  // the run started (wall seconds), the timeline's zero.
  DoneLedger(const mpi::Comm& comm, std::uint64_t shard_count, ShardResults& results,
             double send_interval_s, double origin = 0);

  // Rank 0: shards an earlier run finished (from its checkpoint).
  void preload(const std::vector<std::uint8_t>& done, const std::vector<double>& seconds);

  // After the shape took the shard's output.
  void record(const ShardOutcome& outcome);
  // Non-root: send a delta if one is due. Rank 0: merge the deltas that arrived.
  void tick();
  // Collective: non-root ranks send their last delta; rank 0 merges until it
  // has every rank's last one. A rank that cannot send its delta throws, and
  // so does rank 0 (no rank waits for it).
  void finish();

  // Rank 0's view.
  const std::vector<std::uint8_t>& done() const { return done_; }
  const std::vector<double>& seconds() const { return seconds_; }
  std::uint64_t done_count() const { return done_count_; }
  // This rank's steals so far (they travel with the next delta).
  void set_steals(std::uint64_t steals, std::uint64_t stolen_shards);
  // Rank 0: per rank, what this run has done so far (for the status service).
  struct RankTally {
    std::uint64_t shards = 0;
    double busy_s = 0;
    std::uint64_t steals = 0;
    std::uint64_t stolen_shards = 0;
  };
  const std::vector<RankTally>& tallies() const { return tallies_; }
  // Rank 0 after finish(): this run's shards, where and when they ran; null
  // elsewhere. Rows stay on their rank while the job runs (a delta carries only
  // ids and seconds), so rank 0 does no timeline work per shard.
  const Timeline* timeline() const { return timeline_ ? &*timeline_ : nullptr; }

 private:
  // A delta's first byte: more to come, the rank's last, or the rank failed.
  enum Kind : std::uint8_t { kMore = 0, kLast = 1, kFailed = 2 };
  Bytes take_delta(bool last);
  void merge(int source, std::span<const std::byte> delta, bool& last);

  int rank_;
  int ranks_;
  ShardResults& results_;
  mpi::Mailbox mailbox_;
  std::chrono::duration<double> send_interval_;
  std::chrono::steady_clock::time_point last_send_;
  // What travels per shard in every delta: what a checkpoint needs.
  struct DoneRow {
    std::uint64_t id;
    double seconds;
  };
  static_assert(sizeof(DoneRow) == 16);
  // Keeps the sampled rows of log_[from..] (and, for a sample, adds every
  // row's time to busy_) and drops the others.
  void keep_sampled(std::size_t from);
  Timeline& gathered_timeline();  // rank 0: made when the first rank's rows arrive

  // This rank's shards as they ended: log_[unsent_..] not yet sent to rank 0,
  // then the sampled rows kept for the timeline, which travel once, at the end.
  std::vector<TimelineEntry> log_;  // [0, log_end_) in use
  std::size_t log_end_ = 0;
  std::size_t unsent_ = 0;
  std::uint64_t shard_count_;
  std::uint64_t stride_ = 1;  // the timeline's: keep rows whose id % stride == 0
  double origin_ = 0;
  std::uint64_t logged_ = 0;        // shards this rank ran
  Timeline::Busy busy_;             // for a sample: this rank's busy bins
  std::vector<std::uint8_t> done_;  // rank 0: 1 for every shard done
  std::vector<double> seconds_;     // rank 0: its duration, NaN while not done
  std::uint64_t done_count_ = 0;
  int finished_ranks_ = 0;            // rank 0: ranks whose last delta arrived
  std::string failure_;               // rank 0: why a rank could not send its last delta
  std::optional<Timeline> timeline_;  // rank 0, once finish() gathered it
  std::vector<RankTally> tallies_;    // rank 0
  std::uint64_t steals_ = 0, stolen_shards_ = 0;
};

}  // namespace shardrun::core
