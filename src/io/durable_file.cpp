#include "io/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "shardrun/errors.hpp"

namespace shardrun::io {
namespace {

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw RuntimeError("cannot open " + path + " to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw RuntimeError("cannot sync " + path + ": " + std::strerror(err));
}

}  // namespace

void sync_file(const std::string& path) { fsync_path(path, O_RDONLY); }

void write_file_atomically(const std::string& path, const std::string& text,
                           const std::string& option) {
  const std::string temp = path + ".tmp";
  std::error_code gone;
  std::filesystem::remove(temp, gone);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError(option + ": cannot create " + temp + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      std::filesystem::remove(temp, gone);
      throw RuntimeError(option + ": cannot write " + temp + ": " + std::strerror(err));
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  replace_file(temp, path);
}

void replace_file(const std::string& temp, const std::string& path) {
  sync_file(temp);
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) throw RuntimeError("cannot rename " + temp + " to " + path + ": " + ec.message());
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  fsync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace shardrun::io
