#include "io/result_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "h5/h5_dataset.hpp"

namespace shardrun::io {
namespace fs = std::filesystem;

namespace {

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw RuntimeError("cannot open " + path + " to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw RuntimeError("cannot sync " + path + ": " + std::strerror(err));
}

std::string directory_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

ResultFile::ResultFile(std::string path)
    : path_(std::move(path)),
      temp_path_(path_ + ".tmp." + std::to_string(::getpid())),
      file_(h5::File::create(temp_path_)) {}

ResultFile::~ResultFile() {
  if (committed_) return;
  file_.abandon();
  std::error_code ec;
  fs::remove(temp_path_, ec);
}

void ResultFile::write(const std::string& name, ElementType type, const void* data,
                       const std::vector<std::uint64_t>& dims) {
  h5::Dataset::create(file_, name, type, dims, {}).write_all(type, data);
}

void ResultFile::commit() {
  file_.close();
  fsync_path(temp_path_, O_RDONLY);
  std::error_code ec;
  fs::rename(temp_path_, path_, ec);
  if (ec) throw RuntimeError("cannot rename " + temp_path_ + " to " + path_ + ": " + ec.message());
  committed_ = true;
  fsync_path(directory_of(path_), O_RDONLY | O_DIRECTORY);
}

void check_output_path(const std::string& output, const std::string& option,
                       const std::string& input_file) {
  if (output.empty()) throw UsageError(option + " is required");
  std::error_code ec;
  if (fs::is_directory(output, ec))
    throw UsageError(option + ": " + output + " is a directory; give a file name");
  const std::string dir = directory_of(output);
  if (!fs::is_directory(dir, ec))
    throw UsageError(option + ": directory " + dir + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw UsageError(option + ": cannot write in " + dir + ": " + std::strerror(errno));
  if (!input_file.empty() && fs::exists(output, ec) && fs::equivalent(output, input_file, ec))
    throw UsageError(option + ": " + output + " is the input file; choose another output");
}

}  // namespace shardrun::io
