#include "shardrun/registry.hpp"

#include <stdexcept>

namespace shardrun {

void Registry::add(JobInfo info) {
  if (find(info.name)) throw std::logic_error("job registered twice: " + info.name);
  jobs_.push_back(std::move(info));
}

const JobInfo* Registry::find(std::string_view name) const {
  for (const JobInfo& job : jobs_)
    if (job.name == name) return &job;
  return nullptr;
}

}  // namespace shardrun
