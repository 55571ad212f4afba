// Text files as one domain of bytes: their concatenation, cut into shards of
// byte ranges, each shard owning the lines that start in its range.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace shardrun {

struct TextFile {
  std::string path;
  std::uint64_t bytes = 0;
  std::int64_t mtime_ns = 0;
};

class TextFiles {
 public:
  // `paths` are files or directories (their regular files, recursively),
  // taken in the order given, a directory's files in name order. Throws
  // UsageError naming `option` for a missing path or no bytes at all.
  TextFiles(const std::vector<std::string>& paths, const std::string& option);

  std::uint64_t bytes() const { return total_; }
  const std::vector<TextFile>& files() const { return files_; }

  // Calls fn with the bytes of every line that starts in [begin, end) of
  // the concatenation, in order, in blocks that end at a line end (or a
  // file's end); a line longer than the block size comes whole. A file's
  // last line need not end with '\n'. Thread-safe; one buffer per call.
  void for_each_block(std::uint64_t begin, std::uint64_t end,
                      const std::function<void(std::string_view)>& fn) const;

  // Block size of for_each_block.
  static constexpr std::size_t kBlockBytes = 1 << 20;

 private:
  std::vector<TextFile> files_;
  std::vector<std::uint64_t> starts_;  // offset of each file in the concatenation
  std::uint64_t total_ = 0;
};

}  // namespace shardrun
