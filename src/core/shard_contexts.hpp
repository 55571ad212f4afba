// The ShardContext a job's process() gets: rows of the input dataset, or
// just the shard for index domains.
#pragma once

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <stdexcept>

#include "io/dataset_reader.hpp"
#include "shardrun/partial.hpp"
#include "shardrun/shard.hpp"

namespace shardrun::core {

class DatasetShardContext : public ShardContext {
 public:
  DatasetShardContext(const io::DatasetReader& reader, const Shard& shard)
      : reader_(reader), shard_(shard) {}
  const Shard& shard() const override { return shard_; }
  void for_each_block(const std::function<void(const Block&)>& fn) override {
    static thread_local Bytes buffer;  // one bounded buffer per worker thread
    const std::uint64_t row_bytes = reader_.row_bytes();
    const std::uint64_t rows_per_block = io::rows_per_block(row_bytes);
    const std::uint64_t block_bytes = std::min(rows_per_block, shard_.items()) * row_bytes;
    if (buffer.size() < block_bytes) buffer.resize(block_bytes);
    const InputInfo& info = reader_.info();
    for (std::uint64_t row = shard_.begin; row < shard_.end; row += rows_per_block) {
      const std::uint64_t rows = std::min(rows_per_block, shard_.end - row);
      reader_.read_rows(row, rows, buffer.data());
      // Isolated: were a job's nested TBB work to let this thread pick up
      // another shard while it waits, that shard would overwrite the buffer.
      tbb::this_task_arena::isolate([&] {
        fn(Block{info.type, buffer.data(), row, rows, info.cols});
      });
    }
  }
  void read_shard(void* out) override { reader_.read_rows(shard_.begin, shard_.items(), out); }

 private:
  const io::DatasetReader& reader_;
  Shard shard_;
};

class IndexShardContext : public ShardContext {
 public:
  explicit IndexShardContext(const Shard& shard) : shard_(shard) {}
  const Shard& shard() const override { return shard_; }
  void for_each_block(const std::function<void(const Block&)>&) override {
    throw std::logic_error("for_each_block called by a job without a dataset domain");
  }
  void read_shard(void*) override {
    throw std::logic_error("read_shard called by a job without a dataset domain");
  }

 private:
  Shard shard_;
};

}  // namespace shardrun::core
