#include "shapes/resource_pool.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "shardrun/errors.hpp"

namespace shardrun::shapes {
namespace {

std::optional<long long> env_number(const char* name) {
  const char* text = std::getenv(name);
  if (!text || !*text) return std::nullopt;
  long long value = 0;
  const auto [end, ec] = std::from_chars(text, text + std::strlen(text), value);
  if (ec != std::errc{} || value < 0) return std::nullopt;
  return value;
}

// cgroup v2: the memory.max of this process's cgroup ("max": no limit).
std::optional<std::uint64_t> cgroup_memory_limit() {
  std::ifstream self("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(self, line))
    if (line.starts_with("0::")) path = line.substr(3);
  if (path.empty()) return std::nullopt;
  std::ifstream max("/sys/fs/cgroup" + path + "/memory.max");
  std::string text;
  if (!(max >> text) || text == "max") return std::nullopt;
  std::uint64_t bytes = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
  if (ec != std::errc{}) return std::nullopt;
  return bytes;
}

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  while (true) {
    const std::size_t at = text.find(by, from);
    parts.push_back(text.substr(from, at - from));
    if (at == std::string::npos) return parts;
    from = at + 1;
  }
}

std::vector<std::string> gpu_names(const std::string& text, const std::string& what) {
  std::vector<std::string> names;
  for (const std::uint32_t id : parse_gpu_list(text, what)) names.push_back(std::to_string(id));
  return names;
}

}  // namespace

PoolSources pool_sources(int threads) {
  PoolSources s;
  s.threads = std::max(1, threads);
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) s.cores.push_back(c);
  if (s.cores.empty()) s.cores.push_back(0);
  s.local_rank = static_cast<int>(env_number("OMPI_COMM_WORLD_LOCAL_RANK").value_or(0));
  s.local_ranks =
      static_cast<int>(std::max(1LL, env_number("OMPI_COMM_WORLD_LOCAL_SIZE").value_or(1)));
  s.physical_mem = static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                   static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  s.cgroup_mem = cgroup_memory_limit();
  return s;
}

Pool detect_pool(const PoolOptions& options, const PoolSources& sources) {
  std::optional<std::uint32_t> cpus;
  std::optional<std::uint64_t> mem;
  std::optional<std::vector<std::string>> gpus;
  if (!options.mem.empty()) mem = parse_memory_size(options.mem, "--mem");
  if (!options.gpus.empty()) gpus = gpu_names(options.gpus, "--gpus");
  if (!options.pool.empty()) {
    for (const std::string& field : split(options.pool, ',')) {
      const std::size_t eq = field.find('=');
      const std::string key = field.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
      if (eq == std::string::npos || value.empty())
        throw UsageError("--pool: '" + field + "' is not NAME=VALUE (cpus=N,mem=SIZE,gpus=G)");
      if (key == "cpus") {
        std::uint32_t n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || end != value.data() + value.size() || n == 0)
          throw UsageError("--pool: cpus=" + value + " is not a count of at least 1");
        cpus = n;
      } else if (key == "mem") {
        mem = parse_memory_size(value, "--pool mem");
      } else if (key == "gpus") {
        gpus = gpu_names(value, "--pool gpus");
      } else {
        throw UsageError("--pool: '" + key + "' is not a pool resource (cpus, mem, gpus)");
      }
    }
  }
  Pool pool;
  const std::uint32_t n = cpus.value_or(static_cast<std::uint32_t>(sources.threads));
  for (std::uint32_t i = 0; i < n; ++i)
    pool.cores.push_back(sources.cores[i % sources.cores.size()]);
  if (mem) {
    pool.mem_bytes = *mem;
  } else {
    // The host's memory (or the job's share of it) split among its ranks.
    const auto ranks = static_cast<std::uint64_t>(sources.local_ranks);
    std::uint64_t host = sources.physical_mem;
    if (sources.cgroup_mem) host = std::min(host, *sources.cgroup_mem);
    if (const auto mb = env_number("SLURM_MEM_PER_NODE"); mb && *mb > 0)
      host = std::min(host, static_cast<std::uint64_t>(*mb) << 20);
    pool.mem_bytes = host / ranks;
    if (const auto mb = env_number("SLURM_MEM_PER_CPU"); mb && *mb > 0)
      pool.mem_bytes = std::min(pool.mem_bytes, (static_cast<std::uint64_t>(*mb) << 20) * n);
  }
  if (gpus) {
    pool.gpus = *gpus;
  } else {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    if (!visible || !*visible) visible = std::getenv("ROCR_VISIBLE_DEVICES");
    if (visible && *visible) {
      // The host's devices dealt out among its ranks, one each in turn.
      const std::vector<std::string> all = split(visible, ',');
      for (std::size_t i = 0; i < all.size(); ++i)
        if (static_cast<int>(i % static_cast<std::size_t>(sources.local_ranks)) ==
                sources.local_rank &&
            !all[i].empty())
          pool.gpus.push_back(all[i]);
    }
  }
  return pool;
}

std::string describe_pool(const Pool& pool) {
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1fG", static_cast<double>(pool.mem_bytes) / (1 << 30));
  std::string gpus;
  for (const std::string& g : pool.gpus) gpus += (gpus.empty() ? "" : ",") + g;
  return "cpus=" + std::to_string(pool.cores.size()) + " mem=" + mem +
         " gpus=" + (gpus.empty() ? "none" : gpus);
}

ResourcePool::ResourcePool(Pool pool)
    : pool_(std::move(pool)),
      cpu_busy_(pool_.cores.size(), false),
      gpu_busy_(pool_.gpus.size(), false),
      free_{static_cast<std::uint32_t>(pool_.cores.size()), pool_.mem_bytes,
            static_cast<std::uint32_t>(pool_.gpus.size())} {}

bool ResourcePool::fits(const TaskRequest& r, const Free& f) const {
  return r.cpus <= f.cpus && r.mem_bytes <= f.mem && r.gpus <= f.gpus;
}

bool ResourcePool::could_ever_fit(const TaskRequest& r) const {
  return fits(r, {static_cast<std::uint32_t>(pool_.cores.size()), pool_.mem_bytes,
                  static_cast<std::uint32_t>(pool_.gpus.size())});
}

bool ResourcePool::turn_of(std::uint64_t key) const {
  Free left = free_;
  for (const auto& [k, r] : waiting_) {
    if (k == key) return fits(*r, left);
    // Ahead of us: it starts now if it fits, or holds what is free for
    // itself if it does not. Either way, that much is not ours.
    left.cpus -= std::min(left.cpus, r->cpus);
    left.mem -= std::min(left.mem, r->mem_bytes);
    left.gpus -= std::min(left.gpus, r->gpus);
  }
  return false;
}

Grant ResourcePool::take(const TaskRequest& request) {
  Grant g;
  for (std::uint32_t i = 0; i < cpu_busy_.size() && g.cpus.size() < request.cpus; ++i)
    if (!cpu_busy_[i]) cpu_busy_[i] = true, g.cpus.push_back(i);
  for (std::uint32_t i = 0; i < gpu_busy_.size() && g.gpus.size() < request.gpus; ++i)
    if (!gpu_busy_[i]) gpu_busy_[i] = true, g.gpus.push_back(i);
  g.mem_bytes = request.mem_bytes;
  free_.cpus -= request.cpus;
  free_.mem -= request.mem_bytes;
  free_.gpus -= request.gpus;
  return g;
}

std::optional<Grant> ResourcePool::acquire(const TaskRequest& request, std::uint64_t key,
                                           const std::function<bool()>& stop) {
  std::unique_lock lock(mutex_);
  waiting_.emplace(key, &request);
  while (!turn_of(key)) {
    if (stop()) {
      waiting_.erase(key);
      changed_.notify_all();  // what it held back is free for the others
      return std::nullopt;
    }
    changed_.wait_for(lock, std::chrono::milliseconds(50));
  }
  waiting_.erase(key);
  Grant grant = take(request);
  changed_.notify_all();  // the next in line may fit what is left
  return grant;
}

std::string ResourcePool::cpu_list(const Grant& grant) {
  std::string list;
  for (const std::uint32_t c : grant.cpus) list += (list.empty() ? "" : ",") + std::to_string(c);
  return list;
}

std::string ResourcePool::device_list(const Grant& grant) const {
  std::string list;
  for (const std::uint32_t g : grant.gpus) list += (list.empty() ? "" : ",") + pool_.gpus[g];
  return list;
}

void ResourcePool::release(const Grant& grant) {
  {
    std::lock_guard lock(mutex_);
    for (const std::uint32_t i : grant.cpus) cpu_busy_[i] = false;
    for (const std::uint32_t i : grant.gpus) gpu_busy_[i] = false;
    free_.cpus += static_cast<std::uint32_t>(grant.cpus.size());
    free_.mem += grant.mem_bytes;
    free_.gpus += static_cast<std::uint32_t>(grant.gpus.size());
  }
  changed_.notify_all();
}

}  // namespace shardrun::shapes
