#include "balance/static_source.hpp"

#include <algorithm>

namespace shardrun::balance {

std::optional<core::ShardRange> StaticSource::next(std::uint64_t max, bool /*idle*/) {
  if (left_.empty()) return std::nullopt;
  const std::uint64_t take = std::min(max, left_.size());
  core::ShardRange out{left_.begin, left_.begin + take};
  left_.begin += take;
  return out;
}

}  // namespace shardrun::balance
