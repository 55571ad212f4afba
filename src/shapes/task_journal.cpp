#include "shapes/task_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/checksum.hpp"
#include "base/read_only_file.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::shapes {
namespace {

constexpr std::size_t kHeader = 2 * sizeof(std::uint64_t);  // length, checksum
constexpr std::uint64_t kMaxFrame = 1 << 24;                // a record is far smaller

std::uint64_t checksum_of(const std::byte* data, std::size_t size) {
  base::Checksum sum;
  sum.add(data, size);
  return sum.value();
}

}  // namespace

TaskJournal::TaskJournal(std::string path) : path_(std::move(path)) {
  fd_ =
      ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0)
    throw RuntimeError("cannot create task journal " + path_ + ": " + std::strerror(errno));
}

TaskJournal::~TaskJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void TaskJournal::append(const TaskRecord& record) {
  Encoder payload;
  encode_records({record}, payload);
  const Bytes body = payload.take();
  Encoder frame;
  frame.put<std::uint64_t>(body.size());
  frame.put<std::uint64_t>(checksum_of(body.data(), body.size()));
  frame.put_bytes(body.data(), body.size());
  const Bytes bytes = frame.take();
  std::lock_guard lock(mutex_);
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw RuntimeError("cannot append to task journal " + path_ + ": " + std::strerror(errno));
    written += static_cast<std::size_t>(n);
  }
}

std::string TaskJournal::file_name(const std::string& prefix, int run, int rank) {
  return prefix + "." + std::to_string(run) + "." + std::to_string(rank);
}

std::vector<std::string> TaskJournal::files(const std::string& prefix) {
  namespace fs = std::filesystem;
  const fs::path base(prefix);
  const fs::path dir = base.has_parent_path() ? base.parent_path() : fs::path(".");
  const std::string stem = base.filename().string() + ".";
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(stem, 0) == 0 && entry.is_regular_file(ec)) out.push_back(entry.path().string());
  }
  return out;
}

std::vector<TaskRecord> TaskJournal::read(const std::string& path) {
  std::vector<TaskRecord> records;
  auto file = base::ReadOnlyFile::open(path);
  if (!file) return records;
  std::uint64_t offset = 0;
  for (;;) {
    std::uint64_t header[2];
    if (file->read(header, kHeader, offset) != kHeader) break;
    if (header[0] == 0 || header[0] > kMaxFrame) break;
    Bytes body(header[0]);
    if (file->read(body.data(), body.size(), offset + kHeader) != body.size()) break;
    if (checksum_of(body.data(), body.size()) != header[1]) break;
    try {
      decode_records(body, records);
    } catch (const RuntimeError&) {
      break;
    }
    offset += kHeader + body.size();
  }
  return records;
}

}  // namespace shardrun::shapes
