// Partials of done shards, folded along the fixed combine tree over shard ids.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <utility>

#include "shardrun/partial.hpp"

namespace shardrun::core {

// The combine tree is the implicit binary tree over shard ids 0..S-1: node
// (level j, index k) covers ids [k·2^j, min((k+1)·2^j, S)); its value is
// left.combine(right) of its two children, or its left child alone when the
// right one covers no ids. Every node's value is therefore one fixed function
// of its shards' partials, wherever and whenever it is computed: results are
// bitwise identical for any rank count, thread count, strategy and order of
// completion (docs/design.md, promise 2).
//
// The store folds eagerly: as soon as both children of a node are present
// they are combined, so a contiguous run of n done shards costs O(log n)
// partials. Not thread-safe (the main thread owns it).
class PartialStore {
 public:
  using Decode = std::function<PartialPtr(Decoder&)>;

  explicit PartialStore(std::uint64_t shard_count);

  void add_leaf(std::uint64_t shard, PartialPtr partial) { add_node(0, shard, std::move(partial)); }

  // Every node, for sending to another rank; add_encoded() there folds them in.
  Bytes encode() const;
  void add_encoded(std::span<const std::byte> bytes, const Decode& decode);

  std::size_t node_count() const { return nodes_.size(); }
  // The combination of all shards, or nullptr while some are missing.
  const Partial* root() const;

 private:
  void add_node(int level, std::uint64_t index, PartialPtr partial);

  std::uint64_t shard_count_;
  int root_level_;
  std::map<std::pair<int, std::uint64_t>, PartialPtr> nodes_;  // (level, index) → value
};

}  // namespace shardrun::core
