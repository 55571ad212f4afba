// The --output file of a run: written under a temporary name, renamed into place.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "h5/h5_dataset.hpp"
#include "h5/h5_file.hpp"
#include "mpi/comm.hpp"
#include "shardrun/job.hpp"
#include "shardrun/result_writer.hpp"

namespace shardrun::io {

// Lives on every rank. Created (or, when a checkpointed run resumes, reopened)
// collectively over MPI-IO under a working name beside path, so map jobs'
// ranks can write their rows into it in parallel; close_collective() ends that
// phase. Then rank 0 alone reopens it (reopen()), writes results and the run
// record through the ResultWriter interface, and commit() fsyncs it and
// renames it over path: a run that fails never leaves a half-written file
// under the real name nor clobbers an earlier result. A temporary working
// file is removed by rank 0's destructor when not committed; a checkpointed
// run's working file is kept for the resume.
class ResultFile : public ResultWriter {
 public:
  struct Working {
    std::string path;       // the file's name until commit()
    bool existing = false;  // reopen it (a resumed map job) instead of creating it
    bool temporary = true;  // remove it when the run fails
  };
  // A fresh temporary working name: "<path>.tmp.<unique>", with a `unique`
  // id the same on every rank (a pid may repeat on another node).
  static Working temporary_name(const std::string& path, const std::string& unique);
  // The working name a checkpointed run keeps between runs, one per
  // checkpoint: "<path>.partial.<8 hex digits of the checkpoint's absolute
  // path>", so two jobs writing one --output never take each other's.
  static std::string kept_name(const std::string& path, const std::string& checkpoint);

  ResultFile(std::string path, Working working, const mpi::Comm& comm);  // collective
  ~ResultFile() override;
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  // Collective, while open in parallel: datasets for a map job's outputs,
  // allocated at creation (or reopened, checked against the specs); then
  // written row by row (independent I/O).
  void create_outputs(const std::vector<OutputSpec>& outputs);
  const OutputSpec* output(const std::string& name) const;
  void write_output_rows(const std::string& name, std::uint64_t first_row, std::uint64_t rows,
                         const void* data);
  void flush();
  void close_collective();

  // Rank 0, after close_collective().
  void reopen();
  using ResultWriter::write;
  void write(const std::string& name, ElementType type, const void* data,
             const std::vector<std::uint64_t>& dims) override;
  void write_strings(const std::string& name, const std::vector<std::string>& values) override;
  h5::File& file() { return *file_; }
  const std::string& path() const { return path_; }  // the final name
  const std::string& working_path() const { return working_.path; }
  void commit();

 private:
  std::string path_;
  Working working_;
  bool root_;
  std::optional<h5::File> file_;
  std::vector<OutputSpec> output_specs_;
  std::map<std::string, h5::Dataset> outputs_;
  bool committed_ = false;
};

// Checks before any work that --output can be written: its directory exists
// and is writable, it is not a directory, and it is not the input file.
// Throws UsageError naming `option`.
void check_output_path(const std::string& output, const std::string& option,
                       const std::string& input_file = "");

}  // namespace shardrun::io
