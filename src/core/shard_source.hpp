// Where a rank gets the shard ids it runs: the seam between the executor and
// the balance strategies (static, counter, steal: src/balance).
#pragma once

#include <cstdint>
#include <optional>

#include "mpi/comm.hpp"

namespace shardrun::core {

struct ShardRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  // The first range taken from work stolen from another rank: what its shards
  // cost is not known here (the executor sizes its queue afresh).
  bool stolen = false;
  bool empty() const { return begin >= end; }
  std::uint64_t size() const { return empty() ? 0 : end - begin; }
};

struct SourceStats {
  std::uint64_t steals = 0;         // successful steals by this rank
  std::uint64_t stolen_shards = 0;  // shards this rank took from others
};

// Main thread only. Construction and destruction are collective.
class ShardSource {
 public:
  virtual ~ShardSource() = default;
  // Up to `max` contiguous positions of the run's to-do list (shard ids when
  // nothing was done before) for this rank. nullopt: no more will come. An
  // empty range: nothing right now, ask again later (after a completion, or
  // after a back-off when `idle`: the rank has nothing in flight). Never blocks.
  virtual std::optional<ShardRange> next(std::uint64_t max, bool idle) = 0;
  // The executor reports every finished shard (dynamic strategies count them
  // to detect termination exactly).
  virtual void completed(std::uint64_t shards) { (void)shards; }
  // This rank stops early (an error): tell the others not to wait for its
  // shards. After it, next() may return nullopt on every rank.
  virtual void abandon() {}
  virtual SourceStats stats() const { return {}; }
};

}  // namespace shardrun::core
