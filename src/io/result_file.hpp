// The --output file of a run: written under a temporary name, renamed into place.
#pragma once

#include <string>

#include "h5/h5_file.hpp"
#include "shardrun/result_writer.hpp"

namespace shardrun::io {

// Rank 0 only. Creates "<path>.tmp.<pid>" beside path; commit() closes it,
// fsyncs and renames it over path, so a run that fails never leaves a
// half-written file under the real name nor clobbers an earlier result. The
// destructor removes an uncommitted temporary.
class ResultFile : public ResultWriter {
 public:
  explicit ResultFile(std::string path);
  ~ResultFile() override;
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  using ResultWriter::write;
  void write(const std::string& name, ElementType type, const void* data,
             const std::vector<std::uint64_t>& dims) override;
  h5::File& file() { return file_; }
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  h5::File file_;
  bool committed_ = false;
};

// Checks before any work that --output can be written: its directory exists
// and is writable, it is not a directory, and it is not the input file.
// Throws UsageError naming `option`.
void check_output_path(const std::string& output, const std::string& option,
                       const std::string& input_file = "");

}  // namespace shardrun::io
