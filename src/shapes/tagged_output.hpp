// `--output-mode tagged`: one rank's task output in two files, DIR/rank-R.out
// and DIR/rank-R.err, every line prefixed with its task's number and a tab,
// so that a million tasks write two files per rank, not two million.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace shardrun::shapes {

// The rank's two files, opened for appending (a resume adds to them); lines
// of concurrent tasks interleave, each line whole.
class TaggedOutput {
 public:
  TaggedOutput(const std::string& dir, int rank);
  ~TaggedOutput();
  TaggedOutput(const TaggedOutput&) = delete;
  TaggedOutput& operator=(const TaggedOutput&) = delete;

  // stream 1: stdout, 2: stderr. `lines` ends with a newline.
  void write(int stream, std::string_view lines);
  static std::string path(const std::string& dir, int rank, int stream);

 private:
  std::mutex mutex_;  // one write at a time per file keeps lines whole
  int fds_[2] = {-1, -1};
  std::string paths_[2];
};

// One task's stdout and stderr pipes: the child writes into them, this
// side reads, cuts what arrives into lines and hands them on tagged.
class LinePump {
 public:
  LinePump(TaggedOutput& out, std::string tag);
  ~LinePump();
  LinePump(const LinePump&) = delete;
  LinePump& operator=(const LinePump&) = delete;

  int child_end(int stream) const { return write_ends_[stream - 1]; }
  void close_child_ends();
  // The read end of stream 1 or 2; -1 once it reached its end.
  int fd(int stream) const { return read_ends_[stream - 1]; }
  // Reads what stream has now; closes it at its end. False when nothing
  // came (its end, or nothing there now).
  bool read(int stream);
  // After the command ended: what is left in the pipes (a program it left
  // running may still hold them: not waited for), a last partial line too.
  void drain();

 private:
  void emit(int stream, bool all);

  TaggedOutput& out_;
  std::string tag_;  // "TASK\t"
  int read_ends_[2] = {-1, -1};
  int write_ends_[2] = {-1, -1};
  std::string pending_[2];  // bytes read, not yet a whole line
};

}  // namespace shardrun::shapes
