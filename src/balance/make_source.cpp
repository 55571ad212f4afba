#include "balance/shard_source.hpp"
#include "balance/static_source.hpp"
#include "shardrun/errors.hpp"

namespace shardrun {

const std::vector<std::string>& balance_strategies() {
  static const std::vector<std::string> names = {"static"};
  return names;
}

std::unique_ptr<ShardSource> make_shard_source(const std::string& strategy, const mpi::Comm& comm,
                                               std::uint64_t shard_count) {
  if (strategy == "static")
    return std::make_unique<StaticSource>(shard_count, comm.rank(), comm.size());
  throw UsageError("--balance: unknown strategy '" + strategy + "'");
}

}  // namespace shardrun
