// What a task farm keeps of every attempt at a task: records that travel to
// rank 0, live in the checkpoint and the result file (/tasks), and make the
// GNU parallel joblog.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "h5/h5_file.hpp"
#include "shardrun/partial.hpp"

namespace shardrun::shapes {

struct TaskRecord {
  std::uint64_t task = 0;  // 1-based sequence number ({#}, SHARDRUN_TASK, joblog Seq)
  std::uint32_t attempt = 1;
  std::int32_t rank = 0;
  std::int32_t slot = 0;  // 1-based, within the rank
  double start_s = 0;     // seconds since the epoch
  double duration_s = 0;
  std::int32_t exit_code = 0;  // -1 when a signal ended the command
  std::int32_t signal = 0;
  bool timed_out = false;
  std::string host;
  std::string command;
  // What the task asked for and got (a farm with a JSON-lines task list;
  // otherwise 1 cpu and nothing else).
  std::string name{};
  std::uint32_t cpus = 1;
  std::uint64_t mem_bytes = 0;
  std::uint32_t gpus = 0;
  std::string cores{};    // the pool cpus it ran on, "0,1,2,3" (empty: not pooled)
  std::string devices{};  // its GPUs, as CUDA_VISIBLE_DEVICES named them
  bool succeeded() const { return exit_code == 0 && signal == 0; }
  // Ended by a signal that was not its timeout's (--crash-limit).
  bool crashed() const { return signal != 0 && !timed_out; }
};

void encode_records(const std::vector<TaskRecord>& records, Encoder& out);
// Appends what encode_records wrote to `records`. Throws RuntimeError when corrupt.
void decode_records(std::span<const std::byte> bytes, std::vector<TaskRecord>& records);

// In (task, attempt, start) order: the order of /tasks and of the joblog.
void sort_records(std::vector<TaskRecord>& records);

// The group `group` with one 1-D dataset per field (task, attempt, rank, host,
// slot, start, duration, exit_code, signal, timed_out, command, name, cpus,
// mem, gpus, cores, devices).
void write_records(h5::File& file, const std::string& group,
                   const std::vector<TaskRecord>& records);
std::vector<TaskRecord> read_records(const h5::File& file, const std::string& group);

// GNU parallel's --joblog format: a header line, then Seq, Host, Starttime,
// JobRuntime, Send, Receive, Exitval, Signal and Command separated by tabs.
std::string joblog_text(const std::vector<TaskRecord>& records);

// How the tasks stand: a task's last attempt decides.
struct FarmTally {
  std::uint64_t tasks = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t pending = 0;                // no attempt finished
  std::vector<const TaskRecord*> failures;  // last attempts that failed, by task
};
FarmTally tally(const std::vector<TaskRecord>& sorted_records, std::uint64_t tasks);

// "exit 1", "signal 9 (timed out)", ...
std::string describe_end(const TaskRecord& record);

// Lines for `shardrun inspect`: succeeded / failed / not run, the slowest
// attempts, and the failures with how they ended.
std::string farm_report(const std::vector<TaskRecord>& sorted_records, std::uint64_t tasks);

}  // namespace shardrun::shapes
