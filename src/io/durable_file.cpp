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

void replace_file(const std::string& temp, const std::string& path) {
  sync_file(temp);
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) throw RuntimeError("cannot rename " + temp + " to " + path + ": " + ec.message());
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  fsync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace shardrun::io
