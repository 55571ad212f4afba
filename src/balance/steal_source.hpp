// The steal strategy: contiguous blocks, and idle ranks steal half of a busy
// rank's remaining shards with one-sided atomics. docs/stealing.md has the
// protocol and why every shard runs exactly once.
#pragma once

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
// block. A finished shard adds 1 to a counter on rank 0; a rank with nothing
// to run or steal stops exactly when that counter reaches the plan's size (or
// a rank abandoned the run). Victims: two ranks at random, the one with more
// left (power of two choices); an idle rank then sweeps every other rank
// once. next() never blocks: the executor backs off between idle calls.
class StealSource : public core::ShardSource {
 public:
  StealSource(const mpi::Comm& comm, std::uint64_t shard_count, core::ShardRange block);
  std::optional<core::ShardRange> next(std::uint64_t max, bool idle) override;
  void completed(std::uint64_t shards) override;
  void abandon() override;
  core::SourceStats stats() const override { return stats_; }

  static constexpr std::uint64_t kMaxShards = std::uint64_t{1} << 32;

 private:
  enum Word { kBlock, kDone, kAbandoned, kWords };  // kDone, kAbandoned: on rank 0 only

  std::optional<core::ShardRange> take_own(std::uint64_t max);
  bool steal_from(int victim);
  bool steal_once();  // two random victims
  bool sweep();       // every other rank, in order from a random start
  bool finished();

  mpi::AtomicWindow window_;
  std::uint64_t shard_count_;
  int rank_;
  int ranks_;
  std::minstd_rand rng_;
  core::SourceStats stats_;
  std::uint64_t unreported_ = 0;  // shards completed here, not yet added to kDone
};

}  // namespace shardrun::balance
