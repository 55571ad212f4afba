// Choosing a balance strategy: the one home of the --balance rules.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/shard_source.hpp"
#include "mpi/comm.hpp"

namespace shardrun::balance {

// The strategies users can pick with --balance; the first is the default.
const std::vector<std::string>& balance_strategies();

// Local. Throws UsageError naming --balance when the strategy is unknown or
// cannot handle `shard_count` shards (steal packs shard ids in 32 bits).
void check_balance(const std::string& strategy, std::uint64_t shard_count);

// Collective, after check_balance() passed on every rank. weights: relative
// rank speeds sizing the initial blocks (empty: equal).
std::unique_ptr<core::ShardSource> make_shard_source(const std::string& strategy,
                                                     const mpi::Comm& comm,
                                                     std::uint64_t shard_count,
                                                     const std::vector<double>& weights);

}  // namespace shardrun::balance
