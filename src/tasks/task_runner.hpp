// The task farm's part of a run: each item of a shard is a shell command,
// tried up to 1 + --retries times; every attempt becomes a record that
// travels to rank 0 and ends in /tasks of the result file and the joblog.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/shape_runner.hpp"
#include "tasks/process.hpp"
#include "tasks/task_record.hpp"

namespace shardrun::tasks {

class TaskRunner : public ShapeRunner {
 public:
  TaskRunner(TaskJob& job, std::uint64_t tasks, int rank);

  std::unique_ptr<ShardOutput> process(ShardContext& context) override;
  void done(ShardOutcome& outcome, io::ResultFile& output) override;
  Bytes take_delta() override;
  void add_delta(std::span<const std::byte> delta) override;
  Bytes save() const override;
  JobResult finish(io::ResultFile& output) override;
  std::string resume_items(std::span<const std::byte> saved) const override;
  void set_resume_items(std::string items) override { previous_ = std::move(items); }
  bool halt_requested() const override { return halted_.load(); }
  void abandon() override;

 private:
  CommandSpec spec_for(std::uint64_t item, int slot, std::uint32_t attempt,
                       std::vector<std::string>& env) const;
  void write_joblog(const std::vector<TaskRecord>& sorted) const;
  int acquire_slot();  // the lowest slot number not in use, from 1
  void release_slot(int slot);

  TaskJob& job_;
  TaskOptions options_;
  std::uint64_t tasks_;
  int rank_;
  std::string host_;
  std::vector<std::string> base_env_;
  std::string previous_;             // resume_items() of the resumed checkpoint, or empty
  std::vector<TaskRecord> records_;  // rank 0: all so far; others: since the last delta
  LiveGroups live_;
  std::mutex slots_mutex_;    // guards busy_slots_
  std::set<int> busy_slots_;  // slots of the shards running now
  std::atomic<bool> halted_{false};
};

}  // namespace shardrun::tasks
