#include "balance/counter_source.hpp"

#include <algorithm>

namespace shardrun::balance {

CounterSource::CounterSource(const mpi::Comm& comm, std::uint64_t shard_count)
    : window_(comm, comm.rank() == 0 ? kWords : 0),
      shard_count_(shard_count),
      ranks_(comm.size()) {}

std::optional<core::ShardRange> CounterSource::next(std::uint64_t max, bool /*idle*/) {
  if (claimed_.empty()) {
    if (window_.load(0, kAbandoned) != 0) return std::nullopt;
    const std::uint64_t seen = window_.load(0, kNext);
    if (seen >= shard_count_) return std::nullopt;
    const std::uint64_t left = shard_count_ - seen;
    const std::uint64_t divisor = 2 * static_cast<std::uint64_t>(ranks_);
    const std::uint64_t chunk = std::max<std::uint64_t>(1, (left + divisor - 1) / divisor);
    const std::uint64_t first = window_.fetch_add(0, kNext, chunk);
    if (first >= shard_count_) return std::nullopt;
    claimed_ = {first, std::min(first + chunk, shard_count_)};
  }
  const core::ShardRange out{claimed_.begin, claimed_.begin + std::min(max, claimed_.size())};
  claimed_.begin = out.end;
  return out;
}

void CounterSource::abandon() { window_.fetch_add(0, kAbandoned, 1); }

}  // namespace shardrun::balance
