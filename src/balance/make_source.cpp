#include "balance/make_source.hpp"

#include <algorithm>

#include "balance/counter_source.hpp"
#include "balance/static_source.hpp"
#include "balance/steal_source.hpp"
#include "balance/weights.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::balance {

const std::vector<std::string>& balance_strategies() {
  static const std::vector<std::string> names = {"steal", "counter", "static"};
  return names;
}

void check_balance(const std::string& strategy, std::uint64_t shard_count) {
  const auto& names = balance_strategies();
  if (std::find(names.begin(), names.end(), strategy) == names.end())
    throw UsageError("--balance: unknown strategy '" + strategy + "'");
  if (strategy == "steal" && shard_count >= StealSource::kMaxShards)
    throw UsageError("--balance steal: at most 2^32-1 shards; use fewer (--shards)");
}

std::unique_ptr<core::ShardSource> make_shard_source(const std::string& strategy,
                                                     const mpi::Comm& comm,
                                                     std::uint64_t shard_count,
                                                     const std::vector<double>& weights) {
  check_balance(strategy, shard_count);
  const core::ShardRange block = weighted_block(shard_count, weights, comm.rank(), comm.size());
  if (strategy == "static") return std::make_unique<StaticSource>(block);
  if (strategy == "counter") return std::make_unique<CounterSource>(comm, shard_count);
  return std::make_unique<StealSource>(comm, shard_count, block);
}

}  // namespace shardrun::balance
