// Reads rows of a numeric HDF5 dataset of any rank, or of the same dataset
// in many files taken as one, for the shards of a run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/dataset_ref.hpp"
#include "io/open_parts.hpp"
#include "shardrun/job.hpp"

namespace shardrun::io {

// Bytes a shard reads at a time into its thread's buffer (promise 8: memory is
// threads × this, whatever the dataset size). Small enough that the buffer
// stays in a core's L2 cache between the read and the computation.
constexpr std::uint64_t kReadBlockBytes = 256ull << 10;
// Wide rows (an N-D grid) come at least kWideBlockRows to a block, up to
// kWideBlockBytes: a job that keeps per-element state (stats of each grid
// cell) then reuses it over several rows while it is in cache.
constexpr std::uint64_t kWideBlockRows = 16;
constexpr std::uint64_t kWideBlockBytes = 16ull << 20;
// Rows a block holds: kReadBlockBytes of them, or for wide rows up to
// kWideBlockRows within kWideBlockBytes, and never less than one.
inline std::uint64_t rows_per_block(std::uint64_t row_bytes) {
  const std::uint64_t wide = std::min(kWideBlockRows, kWideBlockBytes / row_bytes);
  return std::max<std::uint64_t>({1, kReadBlockBytes / row_bytes, wide});
}
// The widest row a reader takes (a block holds at least one whole row).
constexpr std::uint64_t kMaxRowBytes = 1ull << 30;
// The most axes a dataset may have (numpy's limit is 32; HDF5's, 32).
constexpr std::size_t kMaxRank = 8;

// One file's rows of the domain.
struct InputPart {
  std::string path;
  std::uint64_t first_row = 0;  // in the domain
  std::uint64_t rows = 0;
  std::optional<std::uint64_t> raw_offset;  // where the raw bytes start, for the raw path
  std::vector<std::string> sources;         // virtual dataset sources, external storage
};

// Thread-safe: read_rows may be called from many threads at once. Contiguous,
// unfiltered, native-order data is read with pread at its file offset, in
// parallel; anything else (chunked, compressed, big-endian, table fields,
// virtual) goes through HDF5 under its process-wide lock.
class DatasetReader {
 public:
  // Opens every file once and checks it; throws UsageError naming `option`
  // and the file when one is missing or unsuitable (type, rank, a row over
  // kMaxRowBytes, more than 2^64 bytes in all, a missing virtual source), or
  // differs from the first file in type, row shape or fields.
  DatasetReader(const DatasetRef& ref, const std::string& option);
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  const InputInfo& info() const { return info_; }
  const DatasetRef& ref() const { return ref_; }
  const std::vector<InputPart>& parts() const { return parts_; }
  std::uint64_t row_bytes() const { return info_.cols * element_size(info_.type); }
  // Every file whose bytes the values come from: the parts and their sources.
  std::vector<std::string> files() const;
  // Where the raw bytes start in the file, for a one-file raw input.
  std::optional<std::uint64_t> raw_offset() const;
  std::size_t open_files() const { return open_->size(); }

  // Reads rows [first, first+rows) into out (rows × row_bytes()), one file
  // at a time.
  void read_rows(std::uint64_t first, std::uint64_t rows, void* out) const;

 private:
  void check_part(std::size_t index, const std::string& option);
  std::shared_ptr<OpenPart> open_part(std::size_t index, const std::string& option) const;

  DatasetRef ref_;
  InputInfo info_;
  std::vector<InputPart> parts_;
  std::unique_ptr<OpenParts> open_;
};

}  // namespace shardrun::io
