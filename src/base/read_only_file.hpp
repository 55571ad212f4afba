// A file opened read-only for positioned reads (pread), from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace shardrun::base {

class ReadOnlyFile {
 public:
  // Nothing when the file cannot be opened (errno says why).
  static std::optional<ReadOnlyFile> open(const std::string& path);
  // Throws RuntimeError naming the file when it cannot be opened.
  explicit ReadOnlyFile(const std::string& path);
  ~ReadOnlyFile();
  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&&) = delete;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

  // Reads up to size bytes at offset, fewer only at the end of the file;
  // returns how many. Thread-safe. Throws RuntimeError naming the file.
  std::size_t read(void* out, std::size_t size, std::uint64_t offset) const;

 private:
  ReadOnlyFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace shardrun::base
