#include <gtest/gtest.h>

#include "jobs/histogram.hpp"
#include "jobs/stats.hpp"
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

}  // namespace
}  // namespace shardrun
