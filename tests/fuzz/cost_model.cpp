// synthetic's --cost. Properties: an accepted model gives every item a
// finite, non-negative cost (it becomes a count of loop iterations), for
// any item count, mean and seed.
//
// Input: seed (one byte), mean-us (one byte, 1..256), items (four bytes),
// then the text of --cost.
#include <cmath>

#include "fuzz_common.hpp"
#include "jobs/synthetic.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shardrun;
  fuzz::Input input(data, size);
  const std::uint64_t seed = input.byte();
  const double mean_us = 1 + input.byte();
  std::uint64_t items = 0;
  for (int i = 0; i < 4; ++i) items |= std::uint64_t{input.byte()} << (8 * i);
  items = std::max<std::uint64_t>(items, 1);
  const std::string text(input.rest());
  fuzz::expect_shardrun_errors([&] {
    const jobs::CostModel model = jobs::CostModel::parse(text, mean_us, seed);
    for (std::uint64_t item : {std::uint64_t{0}, items / 2, items - 1}) {
      const double cost = model.cost_us(item, items);
      if (!std::isfinite(cost) || cost < 0)
        fuzz::fail("--cost " + text + ": item " + std::to_string(item) + " of " +
                   std::to_string(items) + " costs " + std::to_string(cost));
    }
  });
  return 0;
}
