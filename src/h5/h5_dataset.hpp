// An HDF5 dataset of numbers: its shape and layout, and row-wise reads and writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "h5/h5_error.hpp"
#include "h5/h5_file.hpp"
#include "shardrun/element_type.hpp"

namespace shardrun::h5 {

struct DatasetShape {
  std::optional<ElementType> type;  // empty: not an integer or float type we read
  std::string type_description;     // e.g. "string", "compound", "float16"
  std::vector<std::uint64_t> dims;
  // Set when the raw bytes in the file are exactly the native array: contiguous,
  // unfiltered, allocated, native byte order. Then offset is where they start.
  std::optional<std::uint64_t> raw_offset;
};

struct CreateOptions {
  std::uint64_t chunk_rows = 0;  // 0: contiguous
  int deflate = 0;               // 0: no compression; needs chunk_rows
};

// Move-only. Every method takes the HDF5 lock.
class Dataset {
 public:
  static Dataset open(const File& file, const std::string& name);
  static Dataset create(const File& file, const std::string& name, ElementType type,
                        const std::vector<std::uint64_t>& dims, const CreateOptions& options);

  DatasetShape shape() const;

  // Reads rows [first, first+rows) of a 1-D or 2-D dataset, converted to `type`.
  void read_rows(std::uint64_t first, std::uint64_t rows, ElementType type, void* out) const;
  // Writes rows [first, first+rows). With collective (MPI-IO files) every rank
  // calls it, rows may be 0.
  void write_rows(std::uint64_t first, std::uint64_t rows, ElementType type, const void* data,
                  bool collective);
  // Writes or reads the whole dataset.
  void write_all(ElementType type, const void* data);
  void read_all(ElementType type, void* out) const;

 private:
  Dataset(Handle handle, std::string name) : handle_(std::move(handle)), name_(std::move(name)) {}
  Handle select_rows(std::uint64_t first, std::uint64_t rows, Handle& memspace) const;

  Handle handle_;
  std::string name_;
};

hid_t native_type(ElementType type);

// Creates `name` as a 1-D dataset holding `values`.
template <class T>
void write_vector(const File& file, const std::string& name, const std::vector<T>& values) {
  Dataset::create(file, name, element_type_of<T>(), {values.size()}, {})
      .write_all(element_type_of<T>(), values.data());
}

// Creates `name` as a 1-D dataset of variable-length UTF-8 strings (h5py
// reads them as str or bytes), and reads one back.
void write_strings(const File& file, const std::string& name,
                   const std::vector<std::string>& values);
std::vector<std::string> read_strings(const File& file, const std::string& name);

}  // namespace shardrun::h5
