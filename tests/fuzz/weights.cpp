// --weights: a list of numbers on the command line, or the name of a file
// holding them, for a number of ranks; then the blocks they size. Properties:
// accepted weights are one positive finite number per rank, and the ranks'
// blocks cover the plan's shards exactly once, in rank order.
//
// Input: mode (one byte: inline text or a file), ranks (one byte, 1..64),
// shards (two bytes), then the text.
#include "balance/weights.hpp"

#include <cmath>
#include <filesystem>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shardrun;
  fuzz::Input input(data, size);
  const bool in_file = input.byte() % 2;
  const int ranks = 1 + input.byte() % 64;
  const std::uint64_t shards = input.byte() | std::uint64_t{input.byte()} << 8;
  std::string text(input.rest());
  if (in_file) {
    text = fuzz::scratch_file(text);
  } else {
    std::error_code ec;
    if (text.find('\0') != std::string::npos || std::filesystem::exists(text, ec))
      return 0;  // not a command-line word, or a file of this machine's
  }
  std::vector<double> weights;
  bool parsed = false;
  fuzz::expect_shardrun_errors([&] {
    weights = balance::parse_weights(text, ranks);
    parsed = true;
  });
  if (!parsed) return 0;
  if (weights.size() != static_cast<std::size_t>(ranks)) fuzz::fail("not one weight per rank");
  for (double w : weights)
    if (!(w > 0) || !std::isfinite(w)) fuzz::fail("a weight that is not positive and finite");
  std::uint64_t next = 0;
  for (int r = 0; r < ranks; ++r) {
    const core::ShardRange block = balance::weighted_block(shards, weights, r, ranks);
    if (block.begin != next || block.end < block.begin)
      fuzz::fail("rank " + std::to_string(r) + "'s block [" + std::to_string(block.begin) + ", " +
                 std::to_string(block.end) + ") does not follow " + std::to_string(next));
    next = block.end;
  }
  if (next != shards) fuzz::fail("the blocks do not end at the plan's end");
  return 0;
}
