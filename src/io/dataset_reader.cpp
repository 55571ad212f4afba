#include "io/dataset_reader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

namespace shardrun::io {
namespace {

h5::File open_file(const DatasetRef& ref, const std::string& option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(ref.file, ec)) throw UsageError(option + ": no such file: " + ref.file);
  if (fs::is_directory(ref.file, ec))
    throw UsageError(option + ": " + ref.file + " is a directory, not an HDF5 file");
  if (::access(ref.file.c_str(), R_OK) != 0)
    throw UsageError(option + ": cannot read " + ref.file + ": " + std::strerror(errno));
  if (!h5::File::is_hdf5(ref.file))
    throw UsageError(option + ": " + ref.file + " is not an HDF5 file");
  try {
    return h5::File::open_read(ref.file);
  } catch (const h5::Error& e) {
    throw UsageError(option + ": " + e.what());
  }
}

h5::Dataset open_dataset(const h5::File& file, const DatasetRef& ref, const std::string& option) {
  if (!file.has_link(ref.dataset))
    throw UsageError(option + ": " + ref.file + " has no dataset " + ref.dataset);
  try {
    return h5::Dataset::open(file, ref.dataset);
  } catch (const h5::Error&) {
    throw UsageError(option + ": " + ref.text() + " is not a dataset");
  }
}

}  // namespace

DatasetReader::DatasetReader(const DatasetRef& ref, const std::string& option)
    : ref_(ref), file_(open_file(ref, option)), dataset_(open_dataset(file_, ref, option)) {
  const h5::DatasetShape shape = dataset_.shape();
  const std::string where = option + ": " + ref.text();
  if (!shape.type)
    throw UsageError(where + " has type " + shape.type_description +
                     "; shardrun reads integer and float datasets");
  if (shape.dims.empty() || shape.dims.size() > 2)
    throw UsageError(where + " is " +
                     (shape.dims.empty() ? "a scalar" : std::to_string(shape.dims.size()) + "-D") +
                     "; shardrun reads 1-D and 2-D datasets");
  info_.type = *shape.type;
  info_.rank = static_cast<int>(shape.dims.size());
  info_.rows = shape.dims[0];
  info_.cols = shape.dims.size() == 2 ? shape.dims[1] : 1;
  if (info_.rows == 0 || info_.cols == 0) throw UsageError(where + " is empty");
  // Crafted (or merely huge, never written) dimensions must not wrap the
  // byte counts every read and shard size is computed from.
  const std::uint64_t size = element_size(info_.type);
  if (info_.cols > kMaxRowBytes / size)
    throw UsageError(where + ": one row is " + std::to_string(info_.cols) + " x " +
                     std::to_string(size) + " bytes; shardrun reads a row whole, at most " +
                     std::to_string(kMaxRowBytes) + " bytes");
  if (info_.rows > std::numeric_limits<std::uint64_t>::max() / row_bytes())
    throw UsageError(where + " has " + std::to_string(info_.rows) + " rows of " +
                     std::to_string(row_bytes()) + " bytes: more than 2^64 bytes in all");
  raw_offset_ = shape.raw_offset;
  if (raw_offset_) {
    if (auto file = base::ReadOnlyFile::open(ref.file))
      raw_file_.emplace(std::move(*file));
    else
      raw_offset_.reset();  // HDF5 could open it; fall back to HDF5 reads
  }
}

void DatasetReader::read_rows(std::uint64_t first, std::uint64_t rows, void* out) const {
  if (!raw_offset_) {
    dataset_.read_rows(first, rows, info_.type, out);
    return;
  }
  const std::uint64_t bytes = rows * row_bytes();
  const std::uint64_t offset = *raw_offset_ + first * row_bytes();
  if (raw_file_->read(out, bytes, offset) != bytes)
    throw RuntimeError("cannot read " + ref_.text() + " at byte " + std::to_string(offset) +
                       ": unexpected end of file");
}

}  // namespace shardrun::io
