// Where a job's finalize() puts its results: datasets at the root of --output.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shardrun/element_type.hpp"

namespace shardrun {

// Rank 0 only. Dims empty means a scalar dataset.
class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  virtual void write(const std::string& name, ElementType type, const void* data,
                     const std::vector<std::uint64_t>& dims) = 0;
  // A 1-D dataset of variable-length UTF-8 strings (h5py reads str or bytes).
  virtual void write_strings(const std::string& name, const std::vector<std::string>& values) = 0;

  template <class T>
  void write(const std::string& name, std::span<const T> values,
             const std::vector<std::uint64_t>& dims) {
    write(name, element_type_of<T>(), values.data(), dims);
  }
  template <class T>
  void write_scalar(const std::string& name, T value) {
    write(name, element_type_of<T>(), &value, {});
  }
};

}  // namespace shardrun
