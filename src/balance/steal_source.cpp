#include "balance/steal_source.hpp"

#include <algorithm>

namespace shardrun::balance {

StealSource::StealSource(const mpi::Comm& comm, std::uint64_t shard_count, core::ShardRange block)
    : window_(comm, comm.rank() == 0 ? kWords : 1),
      shard_count_(shard_count),
      rank_(comm.rank()),
      ranks_(comm.size()),
      rng_(static_cast<std::minstd_rand::result_type>(1 + comm.rank())) {
  const BlockWord own{static_cast<std::uint32_t>(block.begin),
                      static_cast<std::uint32_t>(block.end)};
  window_.compare_and_swap(rank_, kBlock, 0, own.pack());
  comm.barrier();  // every block is in place before anyone steals
}

std::optional<core::ShardRange> StealSource::take_own(std::uint64_t max) {
  std::uint64_t word = window_.load(rank_, kBlock);
  for (;;) {
    BlockWord block = BlockWord::unpack(word);
    if (block.left() == 0) return std::nullopt;
    const auto take = static_cast<std::uint32_t>(std::min<std::uint64_t>(max, block.left()));
    const core::ShardRange out{block.head, std::uint64_t{block.head} + take};
    block.head += take;
    const std::uint64_t seen = window_.compare_and_swap(rank_, kBlock, word, block.pack());
    if (seen == word) return out;
    word = seen;  // a thief moved our tail: retry with what it left
  }
}

bool StealSource::steal_from(int victim) {
  std::uint64_t word = window_.load(victim, kBlock);
  for (;;) {
    BlockWord block = BlockWord::unpack(word);
    if (block.left() == 0) return false;
    const auto take = static_cast<std::uint32_t>((block.left() + 1) / 2);
    const BlockWord loot{block.tail - take, block.tail};
    block.tail -= take;
    const std::uint64_t seen = window_.compare_and_swap(victim, kBlock, word, block.pack());
    if (seen == word) {
      // Our word is empty, and nobody changes an empty word: install the loot.
      const std::uint64_t mine = window_.load(rank_, kBlock);
      window_.compare_and_swap(rank_, kBlock, mine, loot.pack());
      stats_.steals += 1;
      stats_.stolen_shards += take;
      return true;
    }
    word = seen;  // the owner or another thief got there first
  }
}

bool StealSource::steal_once() {
  if (ranks_ < 2) return false;
  std::uniform_int_distribution<int> pick(0, ranks_ - 2);
  auto other = [&] {
    const int r = pick(rng_);
    return r >= rank_ ? r + 1 : r;
  };
  int victim = other();
  if (ranks_ > 2) {
    const int second = other();
    if (BlockWord::unpack(window_.load(second, kBlock)).left() >
        BlockWord::unpack(window_.load(victim, kBlock)).left())
      victim = second;
  }
  return steal_from(victim);
}

bool StealSource::sweep() {
  if (ranks_ < 2) return false;
  const int start = std::uniform_int_distribution<int>(1, ranks_ - 1)(rng_);
  for (int i = 0; i < ranks_ - 1; ++i) {
    const int victim = (rank_ + start + i) % ranks_;
    if (victim != rank_ && steal_from(victim)) return true;
  }
  return false;
}

bool StealSource::finished() {
  return window_.load(0, kDone) >= shard_count_ || window_.load(0, kAbandoned) != 0;
}

std::optional<core::ShardRange> StealSource::next(std::uint64_t max, bool idle) {
  if (auto own = take_own(max)) return own;
  // Nothing of our own left: the others may wait for our count to finish.
  if (idle && unreported_ > 0) {
    window_.fetch_add(0, kDone, unreported_);
    unreported_ = 0;
  }
  // Shards in flight: one cheap attempt, then let the executor reap. Idle: a
  // random attempt, then every other rank once.
  if (steal_once() || (idle && sweep()))
    if (auto own = take_own(max)) return own;  // or robbed in turn already
  if (idle && finished()) return std::nullopt;
  return core::ShardRange{};
}

// Counted on rank 0 only when this rank runs dry (next() with idle): one
// remote atomic per busy spell instead of one per reaped batch. Termination
// stays exact: a rank that has run dry has reported everything it did.
void StealSource::completed(std::uint64_t shards) { unreported_ += shards; }

void StealSource::abandon() { window_.fetch_add(0, kAbandoned, 1); }

}  // namespace shardrun::balance
