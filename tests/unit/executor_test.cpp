// The executor: finished shards reach the main thread in batches, each once,
// and an error in the main thread's hook ends the run instead of leaving
// shards of a batch uncounted (which would wait for them forever); short
// shards are asked of the source many at a time, long ones two a thread.
#include "core/executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>

#include "balance/static_source.hpp"
#include "core/queue_depth.hpp"

namespace shardrun::core {
namespace {

// A static block that also counts what the executor reports as completed.
class CountingSource : public balance::StaticSource {
 public:
  explicit CountingSource(ShardRange block) : balance::StaticSource(block) {}
  void completed(std::uint64_t shards) override { completed_ += shards; }
  std::uint64_t completed_count() const { return completed_; }

 private:
  std::uint64_t completed_ = 0;
};

// A static block that records how many shards each next() asked for.
class AskingSource : public balance::StaticSource {
 public:
  explicit AskingSource(ShardRange block) : balance::StaticSource(block) {}
  std::optional<ShardRange> next(std::uint64_t max, bool idle) override {
    ++calls_;
    largest_ask_ = std::max(largest_ask_, max);
    return balance::StaticSource::next(max, idle);
  }
  std::uint64_t calls() const { return calls_; }
  std::uint64_t largest_ask() const { return largest_ask_; }

 private:
  std::uint64_t calls_ = 0, largest_ask_ = 0;
};

ExecutorHooks hooks_with(std::function<void(ShardOutcome&&)> on_done) {
  ExecutorHooks hooks;
  hooks.work = [](const Shard&) { return std::unique_ptr<ShardOutput>(); };
  hooks.on_done = std::move(on_done);
  hooks.tick = [] {};
  hooks.tick_interval = std::chrono::milliseconds(50);
  return hooks;
}

Shard shard_at(std::uint64_t position) { return Shard{position, position, position + 1}; }

TEST(Executor, EveryShardIsDoneOnceAndCounted) {
  for (int threads : {1, 2, 3, 8}) {
    CountingSource source({0, 5000});
    std::set<std::uint64_t> seen;
    std::uint64_t duplicates = 0;
    const ExecutorStats stats =
        Executor(threads).run(source, shard_at, hooks_with([&](ShardOutcome&& o) {
                                duplicates += seen.insert(o.shard.id).second ? 0 : 1;
                              }));
    EXPECT_EQ(stats.shards, 5000u) << threads << " threads";
    EXPECT_EQ(seen.size(), 5000u) << threads << " threads";
    EXPECT_EQ(duplicates, 0u) << threads << " threads";
    EXPECT_EQ(source.completed_count(), 5000u) << threads << " threads";
  }
}

TEST(Executor, AnErrorInOnDoneEndsTheRun) {
  // Several shards finish per wake-up with 4 threads; the hook fails on the
  // 10th. The run must rethrow it, not wait for shards it stopped counting.
  auto run = std::async(std::launch::async, [] {
    CountingSource source({0, 100000});
    int calls = 0;
    Executor(4).run(source, shard_at, hooks_with([&](ShardOutcome&&) {
                      if (++calls == 10) throw std::runtime_error("checkpoint write failed");
                    }));
  });
  if (run.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "the executor did not return within 30 s of the hook's error";
    std::_Exit(1);  // its thread never returns: waiting on the future would hang too
  }
  EXPECT_THROW(run.get(), std::runtime_error);
}

// 5,000 empty shards of its own, then loot of 2 ms shards (flagged stolen
// on its first range, as StealSource does), handed out as asked.
class ThiefSource : public ShardSource {
 public:
  std::optional<ShardRange> next(std::uint64_t max, bool) override {
    if (own_ < 5000) {
      const std::uint64_t end = std::min<std::uint64_t>(5000, own_ + max);
      ShardRange r{own_, end};
      own_ = end;
      return r;
    }
    if (loot_ == 5020) return std::nullopt;
    if (loot_ > 5000) largest_ask_after_steal_ = std::max(largest_ask_after_steal_, max);
    const std::uint64_t end = std::min<std::uint64_t>(5020, loot_ + (loot_ == 5000 ? 1 : max));
    ShardRange r{loot_, end};
    r.stolen = loot_ == 5000;
    loot_ = end;
    return r;
  }
  std::uint64_t largest_ask_after_steal() const { return largest_ask_after_steal_; }

 private:
  std::uint64_t own_ = 0, loot_ = 5000, largest_ask_after_steal_ = 0;
};

TEST(Executor, AStealStartsTheQueueDepthAgainFromTwoAThread) {
  // The empty shards raised the depth to its cap; the loot must not be
  // swallowed at that depth (no other rank could steal it back), nor sized
  // by the empty shards still finishing after the steal.
  ThiefSource source;
  ExecutorHooks hooks = hooks_with([](ShardOutcome&&) {});
  hooks.work = [](const Shard& shard) {
    if (shard.id >= 5000) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return std::unique_ptr<ShardOutput>();
  };
  Executor(1).run(source, shard_at, hooks);
  EXPECT_LE(source.largest_ask_after_steal(), QueueDepth::kMin);
}

TEST(QueueDepth, TwoAThreadForLongShardsUpToTheCapForEmptyOnes) {
  QueueDepth depth;
  EXPECT_EQ(depth.per_thread(), QueueDepth::kMin);  // nothing measured yet
  for (int i = 0; i < 50; ++i) depth.observe(0.005);
  EXPECT_EQ(depth.per_thread(), QueueDepth::kMin);
  for (int i = 0; i < 200; ++i) depth.observe(100e-6);  // 1 ms of work is 10 of them
  EXPECT_EQ(depth.per_thread(), 10u);
  for (int i = 0; i < 200; ++i) depth.observe(0);
  EXPECT_EQ(depth.per_thread(), QueueDepth::kMax);
  for (int i = 0; i < 200; ++i) depth.observe(-1);  // a clock step back counts as 0
  EXPECT_EQ(depth.per_thread(), QueueDepth::kMax);
  depth.observe(0.5);  // one long shard: back to two a thread at once
  EXPECT_EQ(depth.per_thread(), QueueDepth::kMin);
}

TEST(Executor, ShortShardsAreTakenInBatchesLongOnesTwoAThread) {
  // 20,000 empty shards: one next() per shard would be the old per-shard
  // round trip of the main thread; batches make it a few hundred.
  AskingSource quick({0, 20000});
  Executor(1).run(quick, shard_at, hooks_with([](ShardOutcome&&) {}));
  EXPECT_LT(quick.calls(), 2000u);
  EXPECT_GT(quick.largest_ask(), 2 * QueueDepth::kMin);

  // 2 ms shards: never more than two a thread in flight, so a thief finds
  // the rest of the block still in the source.
  AskingSource slow({0, 30});
  ExecutorHooks hooks = hooks_with([](ShardOutcome&&) {});
  hooks.work = [](const Shard&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return std::unique_ptr<ShardOutput>();
  };
  Executor(2).run(slow, shard_at, hooks);
  EXPECT_LE(slow.largest_ask(), 2 * QueueDepth::kMin);
}

}  // namespace
}  // namespace shardrun::core
