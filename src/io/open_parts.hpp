// The open files of a many-file input, bounded: the least recently used is
// closed when a new one would pass the limit (a domain of 100,000 files runs
// with a few dozen open).
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "base/read_only_file.hpp"
#include "h5/h5_dataset.hpp"
#include "h5/h5_file.hpp"

namespace shardrun::io {

// One file's dataset, opened for reading: by pread for the raw path, else
// through HDF5.
struct OpenPart {
  std::optional<h5::File> file;
  std::optional<h5::Dataset> dataset;
  std::optional<base::ReadOnlyFile> raw;
};

// Thread-safe. A part handed out stays open while its holder keeps it, so
// at most capacity + (threads reading) parts are open at once.
class OpenParts {
 public:
  using Opener = std::function<std::shared_ptr<OpenPart>(std::size_t part)>;
  OpenParts(std::size_t capacity, Opener open);

  std::shared_ptr<OpenPart> get(std::size_t part);
  void put(std::size_t part, std::shared_ptr<OpenPart> open);  // one opened elsewhere
  std::size_t size() const;

  // How many files a process may keep open for inputs: a quarter of its
  // descriptor limit, between 1 and 256.
  static std::size_t default_capacity();

 private:
  void insert_locked(std::size_t part, std::shared_ptr<OpenPart> open);

  const std::size_t capacity_;
  Opener open_;
  mutable std::mutex mutex_;
  std::list<std::size_t> recent_;  // front: most recently used
  std::unordered_map<std::size_t,
                     std::pair<std::shared_ptr<OpenPart>, std::list<std::size_t>::iterator>>
      parts_;
};

}  // namespace shardrun::io
