#include "io/result_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/checksum.hpp"
#include "base/failpoint.hpp"
#include "h5/h5_dataset.hpp"
#include "io/durable_file.hpp"

namespace shardrun::io {
namespace fs = std::filesystem;

namespace {

std::string directory_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

ResultFile::Working ResultFile::temporary_name(const std::string& path, const std::string& unique) {
  return {path + ".tmp." + unique, false, true};
}

std::string ResultFile::kept_name(const std::string& path, const std::string& checkpoint) {
  base::Checksum owner;
  owner.add(fs::absolute(checkpoint).lexically_normal().string());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(owner.value()));
  return path + ".partial." + std::string(hex, 8);
}

ResultFile::ResultFile(std::string path, Working working, const mpi::Comm& comm)
    : path_(std::move(path)), working_(std::move(working)), root_(comm.rank() == 0) {
  file_.emplace(working_.existing ? h5::File::open_parallel_write(working_.path, comm.raw())
                                  : h5::File::create_parallel(working_.path, comm.raw()));
}

ResultFile::~ResultFile() {
  outputs_.clear();
  if (file_) file_->abandon();
  if (committed_ || !root_ || !working_.temporary) return;
  std::error_code ec;
  fs::remove(working_.path, ec);
}

void ResultFile::create_outputs(const std::vector<OutputSpec>& outputs) {
  for (const OutputSpec& spec : outputs) {
    const std::string name = "/" + spec.name;
    if (working_.existing) {
      h5::Dataset dataset = h5::Dataset::open(*file_, name);
      const h5::DatasetShape shape = dataset.shape();
      if (shape.type != spec.type || shape.dims != spec.dims)
        throw RuntimeError(working_.path + ": output " + name +
                           " does not have the shape and type this job writes");
      outputs_.emplace(spec.name, std::move(dataset));
    } else {
      outputs_.emplace(spec.name, h5::Dataset::create(*file_, name, spec.type, spec.dims, {}));
    }
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

void ResultFile::reopen() { file_.emplace(h5::File::open_write(working_.path)); }

void ResultFile::write(const std::string& name, ElementType type, const void* data,
                       const std::vector<std::uint64_t>& dims) {
  h5::Dataset::create(*file_, name, type, dims, {}).write_all(type, data);
}

void ResultFile::write_strings(const std::string& name, const std::vector<std::string>& values) {
  h5::write_strings(*file_, name, values);
}

void ResultFile::commit() {
  file_->close();
  file_.reset();
  base::failpoint("before-publish");  // the file complete on disk, under its working name
  replace_file(working_.path, path_);
  committed_ = true;
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
