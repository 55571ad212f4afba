#include "core/timeline.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace shardrun::core {
namespace {

double rank_busy(const Timeline::Busy& b, int rank) {
  const double* bins = b.busy.data() + static_cast<std::size_t>(rank) * Timeline::kBins;
  return std::accumulate(bins, bins + Timeline::kBins, 0.0);
}

TEST(Timeline, KeepsEveryShardUpToTheLimit) {
  Timeline t(100.0, 1000, 2);
  EXPECT_EQ(t.stride(), 1u);
  for (std::uint64_t id = 0; id < 1000; ++id) {
    const double at = 100.0 + static_cast<double>(id) * 0.001;
    t.add({id, static_cast<std::uint32_t>(id % 2), 0, id % 7 == 0, at, at + 0.0005});
  }
  const Timeline::Rows rows = t.rows();
  EXPECT_EQ(rows.shard.size(), 1000u);
  EXPECT_EQ(t.shards_seen(), 1000u);
  EXPECT_TRUE(rows.stolen[7]);
  EXPECT_EQ(rows.rank[7], 1u);
  EXPECT_NEAR(rows.start_s[7], 0.007, 1e-9);  // seconds from the origin
  EXPECT_NEAR(rows.end_s[7], 0.0075, 1e-9);
}

TEST(Timeline, SamplesEveryStrideThShardAboveTheLimit) {
  const std::uint64_t shards = 3 * Timeline::kMaxEntries + 5;
  Timeline t(0.0, shards, 1);
  EXPECT_EQ(t.stride(), 4u);  // ceil(shards / limit)
  for (std::uint64_t id = 0; id < shards; ++id) t.add({id, 0, 0, false, 0.0, 1e-6});
  const Timeline::Rows rows = t.rows();
  EXPECT_LE(rows.shard.size(), Timeline::kMaxEntries);
  EXPECT_EQ(rows.shard.size(), (shards + 3) / 4);
  for (const std::uint64_t id : rows.shard) ASSERT_EQ(id % 4, 0u);
  EXPECT_EQ(t.shards_seen(), shards);
}

TEST(Timeline, RowsAreByShardWhetherKeptOrSampled) {
  for (const std::uint64_t shards : {std::uint64_t{1000}, 2 * Timeline::kMaxEntries + 1}) {
    Timeline t(0.0, shards, 3);
    // Ranks report in an order of their own: ids descending, interleaved.
    for (std::uint64_t i = 0; i < shards; ++i) {
      const std::uint64_t id = (i % 2 == 0) ? shards - 1 - i / 2 : i / 2;
      t.add({id, static_cast<std::uint32_t>(id % 3), 0, false, 0.0, 1e-6});
    }
    const Timeline::Rows rows = t.rows();
    ASSERT_EQ(rows.shard.size(), (shards + t.stride() - 1) / t.stride());
    for (std::size_t i = 0; i < rows.shard.size(); ++i) {
      ASSERT_EQ(rows.shard[i], i * t.stride());
      ASSERT_EQ(rows.rank[i], rows.shard[i] % 3);
    }
  }
}

TEST(Timeline, AResumedRunHasRowsOnlyForWhatItRanAndARerunReplacesItsRow) {
  Timeline t(0.0, 10, 2);
  for (const std::uint64_t id : {5, 3, 3, 0}) t.add({id, id == 3 ? 1u : 0u, 0, false, 0.0, 1e-6});
  t.add({3, 0, 2, true, 1.0, 2.0});  // shard 3 again, elsewhere
  const Timeline::Rows rows = t.rows();
  EXPECT_EQ(rows.shard, (std::vector<std::uint64_t>{0, 3, 5}));
  EXPECT_EQ(rows.rank[1], 0u);
  EXPECT_EQ(rows.thread[1], 2u);
  EXPECT_EQ(rows.stolen[1], 1u);
  EXPECT_EQ(rows.end_s[1], 2.0);
  EXPECT_EQ(t.shards_seen(), 5u);
}

TEST(Timeline, BusyBinsWidenAndKeepEveryBusySecond) {
  // Every shard kept (stride 1) and a sample (stride 2): the same bins.
  for (const std::uint64_t shards : {std::uint64_t{100}, 2 * Timeline::kMaxEntries}) {
    Timeline t(10.0, shards, 2);
    t.add({0, 0, 0, false, 10.0, 10.0 + 0.1});  // 0.1 s on rank 0
    t.add({1, 1, 0, false, 10.05, 10.25});      // 0.2 s on rank 1
    t.add({2, 0, 1, false, 12.0, 15.5});        // 3.5 s later: the bins widen
    const Timeline::Busy b = t.busy();
    EXPECT_GT(b.bin_s, 1e-3);
    EXPECT_GE(b.bin_s * Timeline::kBins, 5.5);
    EXPECT_LT(b.bin_s * Timeline::kBins / 2, 5.5);
    EXPECT_NEAR(rank_busy(b, 0), 3.6, 1e-9);
    EXPECT_NEAR(rank_busy(b, 1), 0.2, 1e-9);
    // Nothing of rank 0 in the bins between its two shards.
    const std::size_t from = static_cast<std::size_t>(0.1 / b.bin_s) + 1;
    const std::size_t to = static_cast<std::size_t>(2.0 / b.bin_s);
    for (std::size_t bin = from; bin < to; ++bin) EXPECT_EQ(b.busy[bin], 0.0) << bin;
  }
}

TEST(Timeline, RanksRecordingOnTheirOwnGiveTheSameTimelineAsOneRecorder) {
  // What DoneLedger does: each rank keeps its sampled rows and its own bins
  // (which widen at their own pace), and rank 0 adds them at the end.
  for (const std::uint64_t shards : {std::uint64_t{1000}, 3 * Timeline::kMaxEntries}) {
    Timeline whole(5.0, shards, 2), gathered(5.0, shards, 2);
    std::vector<TimelineEntry> rows[2];
    Timeline::Busy bins[2];
    for (auto& b : bins) b.busy.assign(Timeline::kBins, 0.0);
    for (std::uint64_t id = 0; id < shards; id += shards / 1000) {
      const std::uint32_t rank = id % 3 == 0 ? 1 : 0;
      // Rank 1 runs for 0.3 s, rank 0 for 4 s: their bins end up of different widths.
      const double at =
          5.0 + (rank == 1 ? 0.3 : 4.0) * static_cast<double>(id) / static_cast<double>(shards);
      const TimelineEntry e{id, rank, 0, false, at, at + 1e-4};
      whole.add(e);
      Timeline::add_busy(bins[rank], 1, 0, e.start_s - 5.0, e.end_s - 5.0);
      if (id % gathered.stride() == 0) rows[rank].push_back(e);
    }
    for (std::uint32_t r = 0; r < 2; ++r) gathered.add_rank(r, rows[r], bins[r], rows[r].size());
    const Timeline::Rows a = whole.rows(), b = gathered.rows();
    EXPECT_EQ(a.shard, b.shard);
    EXPECT_EQ(a.rank, b.rank);
    EXPECT_EQ(a.end_s, b.end_s);
    const Timeline::Busy wa = whole.busy(), wb = gathered.busy();
    EXPECT_EQ(wa.bin_s, wb.bin_s);
    ASSERT_EQ(wa.busy.size(), wb.busy.size());
    for (std::size_t i = 0; i < wa.busy.size(); ++i)
      ASSERT_NEAR(wa.busy[i], wb.busy[i], 1e-12) << i;
    EXPECT_NEAR(rank_busy(wb, 1), rank_busy(wa, 1), 1e-12);
  }
}

TEST(Timeline, ALaterAttemptElsewhereWinsWhateverOrderRanksReportIn) {
  Timeline t(0.0, 10, 2);
  t.add_rank(1, std::vector<TimelineEntry>{{4, 1, 0, false, 2.0, 3.0}}, {}, 1);  // the retry
  t.add_rank(0, std::vector<TimelineEntry>{{4, 0, 1, false, 0.5, 1.0}}, {}, 1);  // the failure
  const Timeline::Rows rows = t.rows();
  ASSERT_EQ(rows.shard, (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(rows.rank[0], 1u);
  EXPECT_EQ(rows.end_s[0], 3.0);
}

}  // namespace
}  // namespace shardrun::core
