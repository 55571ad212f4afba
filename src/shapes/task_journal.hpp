// A rank's append-only journal of the tasks it ran successfully, so that a
// task that succeeded never runs again after kill -9, although the
// checkpoint may be up to --checkpoint-every old (docs/design.md, promise 3).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "shapes/task_record.hpp"

namespace shardrun::shapes {

// One write() per record, each framed with its length and an XXH3 checksum:
// the kernel has it once append() returns, so it survives the death of the
// process (not of the node: the checkpoint's fsync covers that). Reading
// stops at the first torn or damaged frame. Thread-safe. Not copyable.
class TaskJournal {
 public:
  // Creates (truncates) the file. Throws RuntimeError naming it.
  explicit TaskJournal(std::string path);
  ~TaskJournal();
  TaskJournal(const TaskJournal&) = delete;
  TaskJournal& operator=(const TaskJournal&) = delete;

  void append(const TaskRecord& record);

  // The journal files of a checkpoint: "<prefix>.<run>.<rank>".
  static std::string file_name(const std::string& prefix, int run, int rank);
  static std::vector<std::string> files(const std::string& prefix);
  // The whole records of one journal file, in order; a missing file has none.
  static std::vector<TaskRecord> read(const std::string& path);

 private:
  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;  // one frame at a time
};

}  // namespace shardrun::shapes
