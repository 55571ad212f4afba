#include <gtest/gtest.h>

#include "jobs/histogram.hpp"
#include "jobs/stats.hpp"
#include "jobs/wordcount.hpp"
#include "shardrun/partial.hpp"

namespace shardrun {
namespace {

TEST(Codec, RoundTripsValuesInOrder) {
  Encoder out;
  out.put<std::uint64_t>(42);
  out.put<double>(-0.5);
  out.put<std::int8_t>(-3);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  EXPECT_EQ(in.get<std::uint64_t>(), 42u);
  EXPECT_EQ(in.get<double>(), -0.5);
  EXPECT_EQ(in.get<std::int8_t>(), -3);
  EXPECT_TRUE(in.done());
}

TEST(Codec, ReadingPastTheEndThrows) {
  Encoder out;
  out.put<std::uint32_t>(1);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  EXPECT_THROW(in.get<std::uint64_t>(), RuntimeError);
}

TEST(Codec, StatsPartialRoundTripsBitwise) {
  jobs::StatsPartial partial(2, false);
  const double values[] = {1.5, -2.25, 3.0, std::numeric_limits<double>::quiet_NaN()};
  partial.add_block(Block{ElementType::f64, values, 0, 2, 2});
  Encoder out;
  partial.encode(out);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  PartialPtr back = jobs::StatsPartial::decode(in);
  EXPECT_TRUE(in.done());
  Encoder again;
  back->encode(again);
  EXPECT_EQ(again.take(), bytes);
  const auto& cols = static_cast<const jobs::StatsPartial&>(*back).columns();
  EXPECT_EQ(cols[0].count, 2u);
  EXPECT_EQ(cols[1].nan_count, 1u);
}

TEST(Codec, HistogramPartialRoundTripsBitwise) {
  jobs::HistogramPartial partial(1, 4);
  const double values[] = {0.1, 0.9, 2.0, -1.0};
  partial.add_block(Block{ElementType::f64, values, 0, 4, 1}, jobs::Binning(4, 0, 1));
  Encoder out;
  partial.encode(out);
  const Bytes bytes = out.take();
  Decoder in(bytes);
  PartialPtr back = jobs::HistogramPartial::decode(in);
  Encoder again;
  back->encode(again);
  EXPECT_EQ(again.take(), bytes);
  EXPECT_EQ(static_cast<const jobs::HistogramPartial&>(*back).cells(), partial.cells());
}

// Sizes in an encoding come from another rank or a checkpoint: one larger
// than the bytes that follow is corrupt, and is refused before it is
// allocated (found by tests/fuzz/partials, whose inputs asked for up to 2^62
// bytes and wrapped cols * (bins + 3) to small values).
TEST(Codec, SizesBeyondTheEncodingAreRefused) {
  Encoder stats;
  stats.put<std::uint8_t>(0);
  stats.put<std::uint64_t>(std::uint64_t{1} << 40);  // columns
  Bytes bytes = stats.take();
  Decoder stats_in(bytes);
  EXPECT_THROW(jobs::StatsPartial::decode(stats_in), RuntimeError);

  Encoder histogram;
  histogram.put<std::uint64_t>(std::uint64_t{1} << 62);  // columns
  histogram.put<std::uint64_t>(1);                       // bins: 4 cells per column
  bytes = histogram.take();
  Decoder histogram_in(bytes);
  EXPECT_THROW(jobs::HistogramPartial::decode(histogram_in), RuntimeError);

  Encoder words;
  words.put<std::uint64_t>(1);
  words.put<std::uint32_t>(0xFFFFFFFF);  // a 4 GiB word
  bytes = words.take();
  Decoder words_in(bytes);
  EXPECT_THROW(jobs::WordCounts::decode(words_in), RuntimeError);
}

// Partials of one job always have the same shape; two that differ come from
// a corrupt encoding, and combining them read past the smaller one.
TEST(Codec, CombiningPartialsOfDifferentShapesIsRefused) {
  jobs::StatsPartial two(2, false);
  EXPECT_THROW(two.combine(jobs::StatsPartial(1, false)), RuntimeError);
  EXPECT_THROW(two.combine(jobs::StatsPartial(2, true)), RuntimeError);
  jobs::HistogramPartial one_by_four(1, 4);
  EXPECT_THROW(one_by_four.combine(jobs::HistogramPartial(2, 4)), RuntimeError);
  EXPECT_THROW(one_by_four.combine(jobs::HistogramPartial(1, 1)), RuntimeError);
}

}  // namespace
}  // namespace shardrun
