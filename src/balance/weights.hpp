// Relative rank speeds (--weights) and the contiguous blocks they size.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/shard_source.hpp"

namespace shardrun::balance {

// "1,2.5,1" or the name of a file holding numbers separated by commas or
// white space; one positive weight per rank. Throws UsageError naming --weights.
std::vector<double> parse_weights(const std::string& text, int ranks);

// Rank r's block of a plan of shard_count shards: contiguous, in rank order,
// sized in proportion to the weights (equal when empty); the blocks of all
// ranks cover 0..shard_count-1 exactly once.
core::ShardRange weighted_block(std::uint64_t shard_count, std::span<const double> weights,
                                int rank, int ranks);

}  // namespace shardrun::balance
