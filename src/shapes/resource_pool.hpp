// A rank's pool for its farm's tasks: cores, memory and GPUs, and the
// allocation that packs tasks into it, highest priority first
// (docs/task-farms.md).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "shardrun/resources.hpp"

namespace shardrun::shapes {

struct Pool {
  std::vector<int> cores;  // the core of each of the pool's cpus (a core may back several)
  std::uint64_t mem_bytes = 0;
  std::vector<std::string> gpus;  // device ids as CUDA_VISIBLE_DEVICES names them
};

// Where a rank's pool comes from, for detect_pool (the environment's view).
struct PoolSources {
  int threads = 1;                      // the rank's threads: its cpus unless --pool cpus=N
  std::vector<int> cores;               // the rank's affinity set
  int local_rank = 0, local_ranks = 1;  // among the job's ranks on this host
  std::uint64_t physical_mem = 0;       // this host's
  std::optional<std::uint64_t> cgroup_mem;
};
PoolSources pool_sources(int threads);

// The rank's pool: --pool's fields over --mem and --gpus over what is
// detected (memory: the cgroup limit, SLURM_MEM_PER_NODE or
// SLURM_MEM_PER_CPU, else the host's, shared by its ranks; GPUs:
// CUDA_VISIBLE_DEVICES or ROCR_VISIBLE_DEVICES, shared out among the host's
// ranks). Throws UsageError naming the option.
Pool detect_pool(const PoolOptions& options, const PoolSources& sources);

// "cpus=8 mem=16.0G gpus=0,1" for messages and the run's log.
std::string describe_pool(const Pool& pool);

// What one task got: indices of the pool's cpus, memory, indices of its GPUs.
struct Grant {
  std::vector<std::uint32_t> cpus;
  std::uint64_t mem_bytes = 0;
  std::vector<std::uint32_t> gpus;
};

// Thread-safe. Tasks wait in a queue ordered by their place in the farm's
// order (`key`, lower first: stage, priority, line). When resources free,
// the first waiting task that fits starts; the first task that does not fit
// holds a reservation on what is free, so tasks behind it start only with
// what it does not need: a large task is never starved by small ones.
class ResourcePool {
 public:
  explicit ResourcePool(Pool pool);
  const Pool& pool() const { return pool_; }
  bool could_ever_fit(const TaskRequest& request) const;
  // Blocks until `request` fits and is its turn, or `stop()` turns true
  // (checked every 50 ms): nullopt then. `request` must could_ever_fit.
  std::optional<Grant> acquire(const TaskRequest& request, std::uint64_t key,
                               const std::function<bool()>& stop);
  void release(const Grant& grant);
  // "0,1,2,3": the pool cpus of a grant; its GPUs as CUDA_VISIBLE_DEVICES names them.
  static std::string cpu_list(const Grant& grant);
  std::string device_list(const Grant& grant) const;

 private:
  struct Free {
    std::uint32_t cpus;
    std::uint64_t mem;
    std::uint32_t gpus;
  };
  bool fits(const TaskRequest& r, const Free& f) const;
  // Whether the waiter `key` may start now (mutex held).
  bool turn_of(std::uint64_t key) const;
  Grant take(const TaskRequest& request);

  Pool pool_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> cpu_busy_, gpu_busy_;
  Free free_;
  std::map<std::uint64_t, const TaskRequest*> waiting_;  // by key
};

}  // namespace shardrun::shapes
