#include "shardrun/text_files.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "base/read_only_file.hpp"
#include "shardrun/errors.hpp"

namespace shardrun {
namespace {

namespace fs = std::filesystem;

TextFile describe(const fs::path& path, const std::string& option) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw UsageError(option + ": cannot read " + path.string() + ": " + ec.message());
  const auto mtime = fs::last_write_time(path, ec);
  return {
      path.string(), size,
      static_cast<std::int64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count())};
}

// Lines that start in [begin, end) of one file, in blocks ending at a line end.
void file_blocks(const TextFile& file, std::uint64_t begin, std::uint64_t end,
                 const std::function<void(std::string_view)>& fn) {
  const base::ReadOnlyFile in(file.path);
  std::string buffer(TextFiles::kBlockBytes, '\0');
  // Our first line starts at begin if the byte before is a line end, else
  // after the next line end (the line across begin is the previous shard's).
  std::uint64_t pos = begin;
  if (begin > 0) {
    char before = 0;
    in.read(&before, 1, begin - 1);
    while (before != '\n') {
      if (pos >= end) return;  // no line starts in the range
      const std::size_t n = in.read(buffer.data(), buffer.size(), pos);
      const auto* nl = static_cast<const char*>(std::memchr(buffer.data(), '\n', n));
      if (!nl && n < buffer.size()) return;  // the file ends inside that line
      pos += nl ? static_cast<std::uint64_t>(nl - buffer.data()) + 1 : n;
      if (nl) before = '\n';
    }
    if (pos >= end) return;
  }
  // Blocks from pos; the last line is the one holding byte end-1.
  std::size_t carry = 0;  // an unfinished line at the buffer's start
  for (;;) {
    if (buffer.size() < carry + TextFiles::kBlockBytes)
      buffer.resize(carry + TextFiles::kBlockBytes);
    const std::size_t n = in.read(buffer.data() + carry, TextFiles::kBlockBytes, pos);
    pos += n;
    if (n < TextFiles::kBlockBytes && pos < end)
      throw RuntimeError(file.path + " is shorter than when the job started");
    const std::size_t filled = carry + n;
    const std::string_view view(buffer.data(), filled);
    if (pos >= end) {  // the block holds byte end-1: cut after its line
      const std::size_t last_byte = static_cast<std::size_t>(end - 1 - (pos - filled));
      const std::size_t nl = view.find('\n', last_byte);
      if (nl != std::string_view::npos) {
        fn(view.substr(0, nl + 1));
        return;
      }
      if (n < TextFiles::kBlockBytes) {  // end of file, inside that line
        fn(view);
        return;
      }
    }
    const std::size_t last = view.rfind('\n');
    if (last == std::string_view::npos) {  // one long line: read on
      carry = filled;
      continue;
    }
    fn(view.substr(0, last + 1));
    carry = filled - (last + 1);
    std::memmove(buffer.data(), buffer.data() + last + 1, carry);
  }
}

}  // namespace

TextFiles::TextFiles(const std::vector<std::string>& paths, const std::string& option) {
  for (const std::string& p : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(p, ec);
    if (ec || !fs::exists(status))
      throw UsageError(option + ": " + p + ": no such file or directory");
    if (fs::is_directory(status)) {
      std::vector<fs::path> inside;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
           it.increment(ec))
        if (it->is_regular_file(ec)) inside.push_back(it->path());
      if (ec) throw UsageError(option + ": cannot list " + p + ": " + ec.message());
      std::sort(inside.begin(), inside.end());
      for (const fs::path& f : inside) files_.push_back(describe(f, option));
    } else {
      files_.push_back(describe(p, option));
    }
  }
  for (const TextFile& f : files_) {
    starts_.push_back(total_);
    total_ += f.bytes;
  }
  if (total_ == 0) throw UsageError(option + ": no text to read (the files are empty)");
}

void TextFiles::for_each_block(std::uint64_t begin, std::uint64_t end,
                               const std::function<void(std::string_view)>& fn) const {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const std::uint64_t first = starts_[i], last = first + files_[i].bytes;
    if (last <= begin || first >= end || files_[i].bytes == 0) continue;
    file_blocks(files_[i], std::max(begin, first) - first, std::min(end, last) - first, fn);
  }
}

}  // namespace shardrun
