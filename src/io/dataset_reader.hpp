// Reads rows of a numeric 1-D or 2-D HDF5 dataset for the shards of a run.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/read_only_file.hpp"
#include "h5/h5_dataset.hpp"
#include "h5/h5_file.hpp"
#include "io/dataset_ref.hpp"
#include "shardrun/job.hpp"

namespace shardrun::io {

// Bytes a shard reads at a time into its thread's buffer (promise 8: memory is
// threads × this, whatever the dataset size). Small enough that the buffer
// stays in a core's L2 cache between the read and the computation.
constexpr std::uint64_t kReadBlockBytes = 256ull << 10;
// The widest row a reader takes (a block holds at least one whole row).
constexpr std::uint64_t kMaxRowBytes = 1ull << 30;

// Thread-safe: read_rows may be called from many threads at once. Contiguous,
// unfiltered, native-order data is read with pread at its file offset, in
// parallel; anything else (chunked, compressed, big-endian) goes through HDF5
// under its process-wide lock.
class DatasetReader {
 public:
  // Checks the file and dataset and throws UsageError naming `option` and the
  // file when they are missing or unsuitable (type, rank, empty, a row over
  // kMaxRowBytes, more than 2^64 bytes in all).
  DatasetReader(const DatasetRef& ref, const std::string& option);
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  const InputInfo& info() const { return info_; }
  const DatasetRef& ref() const { return ref_; }
  std::uint64_t row_bytes() const { return info_.cols * element_size(info_.type); }
  bool raw_path() const { return raw_offset_.has_value(); }
  // Where the raw bytes start in the file, for the raw path.
  std::optional<std::uint64_t> raw_offset() const { return raw_offset_; }

  // Reads rows [first, first+rows) into out (rows × row_bytes()).
  void read_rows(std::uint64_t first, std::uint64_t rows, void* out) const;

 private:
  DatasetRef ref_;
  InputInfo info_;
  h5::File file_;
  h5::Dataset dataset_;
  std::optional<std::uint64_t> raw_offset_;
  std::optional<base::ReadOnlyFile> raw_file_;  // for the raw path
};

}  // namespace shardrun::io
