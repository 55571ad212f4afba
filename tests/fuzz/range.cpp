// histogram's --range LO:HI and the bins it makes with --bins. Properties
// (numpy.histogram's): accepted bounds are finite with lo < hi; the edges
// are finite and strictly increasing from lo to hi; every value in [lo, hi]
// falls in a bin whose edges hold it (the last bin includes hi).
//
// Input: bins (two bytes, 1..65536), values (count byte, then 8 bytes
// each, as doubles), then the text of --range.
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "fuzz_common.hpp"
#include "jobs/histogram.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shardrun;
  fuzz::Input input(data, size);
  const std::uint64_t bins = 1 + (input.byte() | std::uint64_t{input.byte()} << 8);
  std::vector<double> values(input.byte() % 8);
  for (double& v : values) {
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= std::uint64_t{input.byte()} << (8 * i);
    std::memcpy(&v, &bits, sizeof v);
  }
  const std::string text(input.rest());
  std::pair<double, double> range;
  bool parsed = false;
  fuzz::expect_shardrun_errors([&] {
    range = jobs::parse_range(text);
    parsed = true;
  });
  if (!parsed) return 0;
  const double lo = range.first, hi = range.second;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi)) fuzz::fail("bad bounds accepted");
  std::optional<jobs::Binning> binning;
  fuzz::expect_shardrun_errors([&] { binning.emplace(bins, lo, hi); });
  if (!binning) return 0;
  const std::vector<double>& edges = binning->edges();
  if (edges.size() != bins + 1 || edges.front() != lo || edges.back() != hi)
    fuzz::fail("the edges do not run from lo to hi");
  for (std::size_t i = 0; i < bins; ++i)
    if (!std::isfinite(edges[i]) || !(edges[i] < edges[i + 1]))
      fuzz::fail("edges " + std::to_string(i) + " and " + std::to_string(i + 1) +
                 " are not finite and increasing for --range " + text + " --bins " +
                 std::to_string(bins));
  values.insert(values.end(), {lo, hi, edges[bins / 2], std::nextafter(hi, lo)});
  for (double v : values) {
    if (!(v >= lo && v <= hi)) continue;
    const std::uint64_t b = binning->bin(v);
    if (b >= bins) fuzz::fail("a value in range got bin " + std::to_string(b));
    const bool held = edges[b] <= v && (v < edges[b + 1] || (b == bins - 1 && v == hi));
    if (!held) fuzz::fail("a value is not within the edges of its bin");
  }
  return 0;
}
