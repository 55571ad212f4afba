#include "base/machine.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace shardrun::base {

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

int default_threads() {
  if (const char* slurm = std::getenv("SLURM_CPUS_PER_TASK")) {
    try {
      const int n = std::stoi(slurm);
      if (n > 0) return n;
    } catch (...) {
      // not a number: fall through to the affinity mask
    }
  }
  return usable_cores();
}

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

}  // namespace shardrun::base
