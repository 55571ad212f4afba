// A shard (a contiguous slice of the domain) and what a job sees of it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "shardrun/element_type.hpp"

namespace shardrun {

// Items [begin, end) of the domain. Ids are dense 0..S-1 in domain order.
struct Shard {
  std::uint64_t id = 0;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t items() const { return end - begin; }
};

// Consecutive rows of the input dataset, row-major: rows × cols elements.
struct Block {
  ElementType type = ElementType::f64;
  const void* data = nullptr;
  std::uint64_t first_row = 0;
  std::uint64_t rows = 0;
  std::uint64_t cols = 1;

  template <class T>
  std::span<const T> values() const {
    return {static_cast<const T*>(data), static_cast<std::size_t>(rows * cols)};
  }
};

// What a job's process() gets for one shard. Not shared between threads: each
// shard in flight has its own context.
class ShardContext {
 public:
  virtual ~ShardContext() = default;
  virtual const Shard& shard() const = 0;
  // Streams the shard's rows of the input dataset in row order through a
  // bounded buffer, calling fn once per block. Only for dataset domains.
  virtual void for_each_block(const std::function<void(const Block&)>& fn) = 0;
  // Reads all the shard's rows at once into `out` (items × row bytes), for
  // a job that needs them together (a Python job's block); memory is then a
  // shard per thread in flight. Only for dataset domains.
  virtual void read_shard(void* out) = 0;
};

}  // namespace shardrun
