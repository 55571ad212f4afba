// What a task of a task farm asks for (cores, memory, GPUs) and where it
// stands in the farm's order (stage, priority), and the size and device-list
// notations the exec job's task lists and --pool share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardrun {

struct TaskRequest {
  std::uint32_t cpus = 1;
  std::uint64_t mem_bytes = 0;  // 0: asks for none
  std::uint32_t gpus = 0;
  std::int64_t priority = 0;  // higher starts first, within a stage
  std::uint64_t stage = 0;    // stage k+1 starts when every task of stage k has ended
  double timeout_s = -1;      // < 0: the farm's --timeout
  int retries = -1;           // < 0: the farm's --retries
  std::string name;           // shown in records and the joblog; empty: none
  std::string cwd;            // empty: the farm's --workdir
  std::vector<std::pair<std::string, std::string>> env;  // set on top of the farm's
};

// How a rank's pool is made and kept (the exec job's options; docs/task-farms.md).
struct PoolOptions {
  std::string pool;     // --pool cpus=N,mem=SIZE,gpus=G|ID:ID..., over what is detected
  std::string mem;      // --mem SIZE: the rank's memory
  std::string gpus;     // --gpus G|ID:ID...: the rank's GPUs
  int crash_limit = 0;  // --crash-limit: a task ended by a signal this often fails; 0: no limit
  // Whether tasks get their cores as affinity, OMP_NUM_THREADS and their
  // GPUs: a JSON-lines list or a pool or request option given. Otherwise a
  // plain farm's tasks inherit all of it as before pools (only counted).
  bool place = false;
};

// A task job whose tasks ask for resources and have an order of their own:
// the engine packs each rank's tasks into its pool (cores, memory, GPUs),
// highest priority first, and starts a stage only when the one before has
// ended everywhere. Item i is the i-th task in the farm's order (stage, then
// priority, highest first, then place in the list); stage(i) never decreases.
// A TaskJob that is not one runs each task on one slot, as before.
class TaskResources {
 public:
  virtual ~TaskResources() = default;
  virtual const TaskRequest& request(std::uint64_t item) const = 0;
  // What users call the task (SHARDRUN_TASK, /tasks, the joblog): its place
  // in the list, from 1.
  virtual std::uint64_t task_number(std::uint64_t item) const = 0;
  // Where the task is listed, for messages ("tasks.jsonl:7"); empty when unknown.
  virtual std::string task_where(std::uint64_t item) const {
    (void)item;
    return {};
  }
  virtual const PoolOptions& pool_options() const = 0;
};

// "8G", "512M", "1.5T", "64K", with an optional "B" or "iB" after the unit
// (all powers of 1024, as Slurm's --mem), or a bare number of megabytes (as
// Slurm's --mem). Throws UsageError naming `what` for anything else.
std::uint64_t parse_memory_size(std::string_view text, const std::string& what);

// A GPU count "G" (devices 0..G-1) or a colon-separated list of device ids
// "0:2:3" (distinct). Throws UsageError naming `what` for anything else.
std::vector<std::uint32_t> parse_gpu_list(std::string_view text, const std::string& what);

}  // namespace shardrun
