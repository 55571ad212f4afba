// An open HDF5 file, serial or over MPI-IO, and attributes on its groups.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "h5/h5_error.hpp"

namespace shardrun::h5 {

// Move-only. Methods take the HDF5 lock; open/create over MPI-IO are collective.
class File {
 public:
  static File open_read(const std::string& path);
  static File open_write(const std::string& path);  // an existing file, read-write
  static File create(const std::string& path);      // truncates
  // Fails when path exists, even as a dangling symlink (O_EXCL): for files
  // shardrun names itself beside the user's (temporary and working files).
  // `userblock` bytes (0, or a power of 2 from 512) are left free at the
  // start of the file for the caller (HDF5's user block).
  static File create_new(const std::string& path, std::uint64_t userblock = 0);
  // Collective; like create_new, or like create with `truncate`.
  static File create_parallel(const std::string& path, MPI_Comm comm, bool truncate = false);
  // A read-only file held in memory (the core driver, no backing store): the
  // bytes are copied, nothing on disk is read or written; `name` is only for
  // messages. Throws Error when the bytes are not an HDF5 file.
  static File open_image(std::span<const std::byte> image, const std::string& name);

  // True when `path` starts with HDF5's signature (checked without the library).
  static bool is_hdf5(const std::string& path);

  hid_t id() const { return handle_.get(); }
  const std::string& path() const { return path_; }

  bool has_link(const std::string& name) const;  // every component of name exists
  void create_group(const std::string& name);
  void remove_link(const std::string& name);  // the object stays until nothing links to it
  void write_attribute(const std::string& object, const std::string& name,
                       const std::string& value);
  void write_attribute(const std::string& object, const std::string& name, double value);
  void write_attribute(const std::string& object, const std::string& name, std::uint64_t value);
  bool has_attribute(const std::string& object, const std::string& name) const;
  std::string read_string_attribute(const std::string& object, const std::string& name) const;
  double read_double_attribute(const std::string& object, const std::string& name) const;
  std::uint64_t read_u64_attribute(const std::string& object, const std::string& name) const;
  // Names of the links in a group, in name order.
  std::vector<std::string> list(const std::string& group) const;
  static File open_parallel_write(const std::string& path, MPI_Comm comm);  // collective
  void flush();             // collective for MPI-IO files
  void close();             // flushes and closes, throwing on failure (collective for MPI-IO)
  void abandon() noexcept;  // closes without checking: for cleanup after an error

 private:
  File(Handle handle, std::string path) : handle_(std::move(handle)), path_(std::move(path)) {}
  Handle handle_;
  std::string path_;
};

}  // namespace shardrun::h5
