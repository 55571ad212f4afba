// histogram: numpy.histogram's edges and bin rules.
#include "jobs/histogram.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

namespace shardrun::jobs {
namespace {

TEST(Binning, EdgesFollowNumpyLinspace) {
  const Binning b(64, -5, 5);
  ASSERT_EQ(b.edges().size(), 65u);
  const double step = 10.0 / 64;
  for (std::size_t i = 0; i < 64; ++i)
    EXPECT_EQ(b.edges()[i], static_cast<double>(i) * step + -5.0);
  EXPECT_EQ(b.edges()[64], 5.0);  // exactly HI, not 64·step − 5
}

TEST(Binning, BinsAreHalfOpenExceptTheLast) {
  const Binning b(4, 0, 1);
  EXPECT_EQ(b.bin(0.0), 0u);
  EXPECT_EQ(b.bin(0.2499999), 0u);
  EXPECT_EQ(b.bin(0.25), 1u);  // an inner edge belongs to the bin above
  EXPECT_EQ(b.bin(0.75), 3u);
  EXPECT_EQ(b.bin(1.0), 3u);  // HI belongs to the last bin
}

TEST(Binning, ValuesOnComputedEdgesLandWhereNumpyPutsThem) {
  // 0.1·i is not exact in binary; numpy compares against the stored edges.
  const Binning b(10, 0, 1);
  for (std::size_t i = 0; i < 10; ++i) {
    const double edge = b.edges()[i];
    EXPECT_EQ(b.bin(edge), i) << edge;
    EXPECT_EQ(b.bin(std::nextafter(edge, 2.0)), i);
    if (i > 0) {
      EXPECT_EQ(b.bin(std::nextafter(edge, -1.0)), i - 1) << edge;
    }
  }
}

// Found with tests/fuzz/range's properties (inputs written by hand: the
// fuzzer's mutations did not reach exponents near 308 in 5 minutes): hi - lo
// overflowing gave NaN edges, a range narrower than its bins repeated edges
// and bin() scaled by inf (a NaN cast to an integer). numpy refuses both.
TEST(Binning, RangesThatCannotHoldTheBinsAreRefused) {
  EXPECT_THROW(Binning(64, -1e308, 1e308), UsageError);
  EXPECT_THROW(Binning(64, 0, 5e-324), UsageError);
  EXPECT_THROW(Binning(1, 0, 5e-324), UsageError);  // one bin, but a scale of inf
  EXPECT_THROW(Binning(64, 1, 1.0000000000000002), UsageError);
  try {
    Binning(64, -1e308, 1e308);
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "--range -1e+308:1e+308 is too narrow or too wide for --bins 64: its bins' "
                 "edges would not be finite and increasing");
  }
  const Binning wide(64, -1e307, 1e307);  // wide, but hi - lo is finite
  EXPECT_EQ(wide.bin(0), 32u);
}

TEST(HistogramPartial, CountsOutliersAndNaNsApart) {
  HistogramPartial h(1, 2);
  const double v[] = {-1, 0, 0.5, 1, 1.5, NAN, 0.25};
  h.add_block(Block{ElementType::f64, v, 0, 7, 1}, Binning(2, 0, 1));
  const std::vector<std::uint64_t> expected = {2, 2, 1,
                                               1, 1, 0};  // bins, under, over, nan, missing
  EXPECT_EQ(h.cells(), expected);
}

TEST(HistogramPartial, IntegersAndColumns) {
  HistogramPartial h(2, 2);
  const std::int32_t v[] = {0, 10, 5, 3, 10, -1};  // rows of (col0, col1)
  h.add_block(Block{ElementType::i32, v, 0, 3, 2}, Binning(2, 0, 10));
  // Column 0 holds 0, 5, 10 (10 = HI goes to the last bin); column 1 holds 10, 3, -1.
  const std::vector<std::uint64_t> expected = {1, 2, 0, 0, 0, 0,  // bins, under, over, nan, missing
                                               1, 1, 1, 0, 0, 0};
  EXPECT_EQ(h.cells(), expected);
}

TEST(HistogramPartial, MissingValuesAreCountedApartFromNaN) {
  HistogramPartial h(1, 2);
  const double v[] = {-999, 0.25, NAN, -999, 0.75};
  InputInfo info;
  info.fill_values = {std::bit_cast<std::uint64_t>(-999.0)};
  const MissingValues missing = MissingValues::parse("fill", info, "t.h5:/x");
  h.add_block(Block{ElementType::f64, v, 0, 5, 1}, Binning(2, 0, 1), missing);
  const std::vector<std::uint64_t> expected = {1, 1, 0, 0, 1, 2};  // -999 is not underflow
  EXPECT_EQ(h.cells(), expected);
}

TEST(ParseRange, AcceptsNegativeAndScientific) {
  EXPECT_EQ(parse_range("-5:5"), (std::pair<double, double>{-5, 5}));
  EXPECT_EQ(parse_range("1e-3:2.5"), (std::pair<double, double>{1e-3, 2.5}));
}

TEST(ParseRange, RejectsBadRangesNamingTheOption) {
  for (const char* bad : {"5:-5", "1:1", "nan:1", "0:inf", "1", "a:b", "1:2:3", ":1", ""}) {
    try {
      parse_range(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--range"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace shardrun::jobs
