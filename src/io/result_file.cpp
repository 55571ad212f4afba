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

ResultFile::ResultFile(std::string path, const mpi::Comm& comm)
    : path_(std::move(path)), root_(comm.rank() == 0) {
  const std::string pid = comm.broadcast(std::to_string(::getpid()));
  temp_path_ = path_ + ".tmp." + pid;
  file_.emplace(h5::File::create_parallel(temp_path_, comm.raw()));
}

ResultFile::~ResultFile() {
  outputs_.clear();
  if (file_) file_->abandon();
  if (committed_ || !root_) return;
  std::error_code ec;
  fs::remove(temp_path_, ec);
}

void ResultFile::create_outputs(const std::vector<OutputSpec>& outputs) {
  for (const OutputSpec& spec : outputs) {
    outputs_.emplace(spec.name,
                     h5::Dataset::create(*file_, "/" + spec.name, spec.type, spec.dims, {}));
    output_specs_.push_back(spec);
  }
  flush();  // the file is valid from now on, whatever happens to the writers
}

const OutputSpec* ResultFile::output(const std::string& name) const {
  for (const OutputSpec& spec : output_specs_)
    if (spec.name == name) return &spec;
  return nullptr;
}

void ResultFile::write_output_rows(const std::string& name, std::uint64_t first_row,
                                   std::uint64_t rows, const void* data) {
  const OutputSpec* spec = output(name);
  if (!spec) throw RuntimeError("job wrote to an output it did not declare: " + name);
  outputs_.at(name).write_rows(first_row, rows, spec->type, data, false);
}

void ResultFile::flush() { file_->flush(); }

void ResultFile::close_collective() {
  outputs_.clear();
  file_->close();
  file_.reset();
}

void ResultFile::reopen() { file_.emplace(h5::File::open_write(temp_path_)); }

void ResultFile::write(const std::string& name, ElementType type, const void* data,
                       const std::vector<std::uint64_t>& dims) {
  h5::Dataset::create(*file_, name, type, dims, {}).write_all(type, data);
}

void ResultFile::commit() {
  file_->close();
  file_.reset();
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
