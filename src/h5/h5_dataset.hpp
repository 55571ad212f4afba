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

// A member of a compound (table) type.
struct Member {
  std::string name;
  std::optional<ElementType> type;  // empty: not an integer or float we read
  std::string type_description;
};

// Another file a dataset's values live in: a virtual dataset's source, or
// external storage. `file` as the dataset names it (not resolved).
struct SourceFile {
  std::string file;
  std::string dataset;  // a virtual source's dataset; empty for external storage
};

struct DatasetShape {
  std::optional<ElementType> type;  // empty: not an integer or float type we read
  std::string type_description;     // e.g. "string", "compound", "float16"
  std::vector<Member> fields;       // a compound type's members, in order
  std::vector<std::uint64_t> dims;
  std::vector<SourceFile> virtual_sources;  // a virtual dataset's mappings
  std::vector<SourceFile> external_files;   // external storage
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

  // From now on reads give only these members of a compound type, each
  // converted to `type`, one after another in a row (as columns).
  void select_fields(const std::vector<std::string>& names, ElementType type);
  // The fill value set when the dataset was created, converted to `type`
  // (its bytes, zero-extended); empty when none was set (HDF5's default 0).
  std::optional<std::uint64_t> fill_value(ElementType type) const;
  // The values of a numeric attribute of the dataset, converted to `type`
  // (each one's bytes, zero-extended); empty when there is no such
  // attribute or it is not numeric.
  std::vector<std::uint64_t> numeric_attribute(const std::string& name, ElementType type) const;

  // Reads rows [first, first+rows) of the dataset, converted to `type`: a
  // row is everything under one index of the first dimension.
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
  Handle field_type_;  // set by select_fields: the memory type of a row's chosen members
};

hid_t native_type(ElementType type);

// The whole dataset as T, flattened in row-major order.
template <class T>
std::vector<T> read_values(const Dataset& dataset) {
  std::uint64_t size = 1;
  for (std::uint64_t d : dataset.shape().dims) size *= d;
  std::vector<T> values(size);
  if (size) dataset.read_all(element_type_of<T>(), values.data());
  return values;
}

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
