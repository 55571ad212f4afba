#include "balance/counter_source.hpp"
#include "balance/shard_source.hpp"
#include "balance/static_source.hpp"
#include "balance/steal_source.hpp"
#include "balance/weights.hpp"
#include "shardrun/errors.hpp"

namespace shardrun {

const std::vector<std::string>& balance_strategies() {
  static const std::vector<std::string> names = {"steal", "counter", "static"};
  return names;
}

std::unique_ptr<ShardSource> make_shard_source(const std::string& strategy, const mpi::Comm& comm,
                                               std::uint64_t shard_count,
                                               const std::vector<double>& weights) {
  const ShardRange block = weighted_block(shard_count, weights, comm.rank(), comm.size());
  if (strategy == "static") return std::make_unique<StaticSource>(block);
  if (strategy == "counter") return std::make_unique<CounterSource>(comm, shard_count);
  if (strategy == "steal") return std::make_unique<StealSource>(comm, shard_count, block);
  throw UsageError("--balance: unknown strategy '" + strategy + "'");
}

}  // namespace shardrun
