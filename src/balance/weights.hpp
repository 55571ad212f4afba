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

// A farm's deal of its ordered list over those blocks: order[p] is the
// list index position p of the blocks runs. Each block gets every list entry
// in turn that keeps it as far through its share as the others (a weighted
// round robin), so every rank starts at the head of the list (a farm's
// highest priorities) and works through it at the pace of the whole.
std::vector<std::uint64_t> interleaved_order(std::uint64_t shard_count,
                                             std::span<const double> weights, int ranks);

}  // namespace shardrun::balance
