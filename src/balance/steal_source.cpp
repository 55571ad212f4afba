#include "balance/steal_source.hpp"

#include <algorithm>
#include <utility>

namespace shardrun::balance {
namespace {

// ceil(log2 ranks), at least 1: with m of P words holding work, an idle call
// misses them all with probability (1 - m/P)^k, and the k calls of all idle
// ranks together reach every word about k times per back-off period.
int probes_for(int ranks) {
  int k = 0;
  while (k < 31 && (1 << k) < ranks) ++k;
  return std::max(1, k);
}

}  // namespace

StealSource::StealSource(const mpi::Comm& comm, std::uint64_t shard_count, core::ShardRange block)
    : window_(comm, comm.rank() == 0 ? kWords : kStop + 1),
      shard_count_(shard_count),
      rank_(comm.rank()),
      ranks_(comm.size()),
      probes_(probes_for(comm.size())),
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

int StealSource::random_other() {
  const int r = std::uniform_int_distribution<int>(0, ranks_ - 2)(rng_);
  return r >= rank_ ? r + 1 : r;
}

bool StealSource::steal_once() {
  if (ranks_ < 2) return false;
  int victim = random_other();
  if (ranks_ > 2) {
    const int second = random_other();
    if (BlockWord::unpack(window_.load(second, kBlock)).left() >
        BlockWord::unpack(window_.load(victim, kBlock)).left())
      victim = second;
  }
  return steal_from(victim);
}

bool StealSource::probe_random() {
  if (ranks_ < 2) return false;
  for (int i = 0; i < probes_; ++i)
    if (steal_from(random_other())) return true;
  return false;
}

void StealSource::raise_stop() { window_.fetch_add(0, kStop, 1); }

void StealSource::forward_stop() {
  if (forwarded_) return;
  forwarded_ = true;
  for (int c = 1; c <= kFanout; ++c) {
    const long long child = static_cast<long long>(rank_) * kFanout + c;
    if (child >= ranks_) break;
    window_.fetch_add(static_cast<int>(child), kStop, 1);
  }
}

bool StealSource::finished() {
  if (shard_count_ == 0) return true;  // nothing to count: every rank knows
  if (window_.load(rank_, kStop) == 0) return false;
  forward_stop();  // before we stop: our subtree learns the end only from us
  return true;
}

std::optional<core::ShardRange> StealSource::next(std::uint64_t max, bool idle) {
  if (auto own = take_own(max)) return own;
  // Nothing of our own left: the others may wait for our count to finish.
  if (idle && unreported_ > 0) {
    const std::uint64_t n = std::exchange(unreported_, 0);
    // Counts only grow and never pass shard_count_, so exactly one add
    // lands on it: that rank ends the run.
    if (window_.fetch_add(0, kDone, n) + n == shard_count_) raise_stop();
  }
  // A load of our own window: the end (or an abandon) reached us. Busy, we
  // pass it on and drain; idle, we stop.
  if (finished()) return idle ? std::nullopt : std::optional<core::ShardRange>(core::ShardRange{});
  // Idle: two-choice, then a few more random ranks; the executor backs off.
  // Shards in flight: the two-choice attempt, unless the last one missed
  // less than a back-off ago; then let the executor reap.
  bool got = false;
  if (idle) {
    got = steal_once() || probe_random();
  } else if (std::chrono::steady_clock::now() >= busy_retry_at_) {
    got = steal_once();
    if (!got) {
      busy_retry_at_ = std::chrono::steady_clock::now() + busy_pause_;
      busy_pause_ = std::min(busy_pause_ * 2, kMaxBusyPause);
    }
  }
  if (got) {
    busy_pause_ = kMinBusyPause;
    busy_retry_at_ = {};
    // One shard of the loot for now: the executor sized its request by our
    // own shards, and the loot's cost is unknown until one of it finishes.
    if (auto own = take_own(std::min<std::uint64_t>(max, 1))) {  // or robbed in turn already
      own->stolen = true;
      return own;
    }
  }
  return core::ShardRange{};
}

// Counted on rank 0 only when this rank runs dry (next() with idle): one
// remote atomic per busy spell instead of one per reaped batch. Termination
// stays exact: a rank that has run dry has reported everything it did.
void StealSource::completed(std::uint64_t shards) { unreported_ += shards; }

// This rank calls next() no more: tell rank 0 (the root), and our own
// children now, since they would otherwise hear it from us in next().
void StealSource::abandon() {
  raise_stop();
  forward_stop();
}

}  // namespace shardrun::balance
