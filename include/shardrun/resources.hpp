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

// "8G", "512M", "1.5T", "64K", with an optional "B" or "iB" after the unit
// (all powers of 1024, as Slurm's --mem), or a bare number of megabytes (as
// Slurm's --mem). Throws UsageError naming `what` for anything else.
std::uint64_t parse_memory_size(std::string_view text, const std::string& what);

// A GPU count "G" (devices 0..G-1) or a colon-separated list of device ids
// "0:2:3" (distinct). Throws UsageError naming `what` for anything else.
std::vector<std::uint32_t> parse_gpu_list(std::string_view text, const std::string& what);

}  // namespace shardrun
