#include "balance/static_source.hpp"

#include <algorithm>

#include "core/int128.hpp"

namespace shardrun {

ShardRange StaticSource::block(std::uint64_t shard_count, int rank, int ranks) {
  auto start = [&](std::uint64_t r) {
    return static_cast<std::uint64_t>(static_cast<UInt128>(r) * shard_count /
                                      static_cast<std::uint64_t>(ranks));
  };
  return {start(static_cast<std::uint64_t>(rank)), start(static_cast<std::uint64_t>(rank) + 1)};
}

StaticSource::StaticSource(std::uint64_t shard_count, int rank, int ranks)
    : left_(block(shard_count, rank, ranks)) {}

std::optional<ShardRange> StaticSource::next(std::uint64_t max, bool /*idle*/) {
  if (left_.empty()) return std::nullopt;
  const std::uint64_t take = std::min(max, left_.end - left_.begin);
  ShardRange out{left_.begin, left_.begin + take};
  left_.begin += take;
  return out;
}

}  // namespace shardrun
