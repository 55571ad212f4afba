// The steal strategy: contiguous blocks, and idle ranks steal half of a busy
// rank's remaining shards with one-sided atomics. docs/stealing.md has the
// protocol and why every shard runs exactly once.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "core/shard_source.hpp"
#include "mpi/atomic_window.hpp"

namespace shardrun::balance {

// The (head, tail) of a rank's remaining block, packed in one 64-bit word so
// that one compare-and-swap moves either end atomically. Ids < 2^32.
struct BlockWord {
  std::uint32_t head = 0;
  std::uint32_t tail = 0;
  static BlockWord unpack(std::uint64_t word) {
    return {static_cast<std::uint32_t>(word >> 32), static_cast<std::uint32_t>(word)};
  }
  std::uint64_t pack() const { return (std::uint64_t{head} << 32) | tail; }
  std::uint64_t left() const { return head < tail ? tail - head : 0; }
};

// The owner takes from the head of its own word, a thief shortens the tail of
// a victim's word by ceil(left / 2) and installs what it took as its own
// block. Victims: two ranks at random, the one with more left (power of two
// choices); an idle rank then tries at most ceil(log2 P) more random ranks
// (never every rank: an idle call costs O(log P) remote operations at any
// scale). A rank with shards in flight makes the two-choice attempt only,
// and after a miss not again before a back-off (20 us doubling to 2 ms, as
// the executor backs off idle calls): over TCP the executor wakes every
// 200 us while shards run, and each remote attempt then waits on a busy
// victim. next() never blocks.
//
// Termination: a rank that runs dry adds what it finished to kDone on rank 0
// with one fetch_add. The add that makes kDone reach the plan's size (exactly
// one does) sets rank 0's stop word, as does a rank that abandons; every rank
// that finds its own stop word set passes it on to its children in a fan-out
// tree rooted at rank 0 (children of r: r*F+1 .. r*F+F), once, and an idle
// rank stops exactly when its own word is set. So an idle rank polls only its
// own window, and rank 0 receives O(1) operations per busy spell of a rank
// plus one per child, instead of two per idle call of every rank.
class StealSource : public core::ShardSource {
 public:
  StealSource(const mpi::Comm& comm, std::uint64_t shard_count, core::ShardRange block);
  std::optional<core::ShardRange> next(std::uint64_t max, bool idle) override;
  void completed(std::uint64_t shards) override;
  void abandon() override;
  core::SourceStats stats() const override { return stats_; }

  static constexpr std::uint64_t kMaxShards = std::uint64_t{1} << 32;
  static constexpr int kFanout = 8;  // of the stop tree: depth log_8 P (6 at 100,000 ranks)

 private:
  enum Word { kBlock, kStop, kDone, kWords };  // kDone: on rank 0 only

  std::optional<core::ShardRange> take_own(std::uint64_t max);
  int random_other();
  bool steal_from(int victim);
  bool steal_once();    // two random victims
  bool probe_random();  // up to probes_ more random victims
  bool finished();      // our own stop word is set (passed on first)
  void raise_stop();    // sets rank 0's stop word
  void forward_stop();  // sets our children's, once

  mpi::AtomicWindow window_;
  std::uint64_t shard_count_;
  int rank_;
  int ranks_;
  int probes_;
  std::minstd_rand rng_;
  core::SourceStats stats_;
  std::uint64_t unreported_ = 0;  // shards completed here, not yet added to kDone
  bool forwarded_ = false;        // our children's stop words are set
  // the back-off of attempts with shards in flight
  std::chrono::steady_clock::time_point busy_retry_at_{};
  std::chrono::microseconds busy_pause_{kMinBusyPause};
  static constexpr std::chrono::microseconds kMinBusyPause{20}, kMaxBusyPause{2000};
};

}  // namespace shardrun::balance
