#include "run/job_end_time.hpp"

#include <cstdlib>
#include <string>

namespace shardrun::run {

std::optional<double> job_end_time() {
  for (const char* name : {"SLURM_JOB_END_TIME", "SHARDRUN_END_TIME"}) {
    const char* text = std::getenv(name);
    if (!text || !*text) continue;
    try {
      std::size_t used = 0;
      const double end = std::stod(text, &used);
      if (used == std::string(text).size() && end > 0) return end;
    } catch (...) {
      // not a number: try the next one
    }
  }
  return std::nullopt;
}

}  // namespace shardrun::run
