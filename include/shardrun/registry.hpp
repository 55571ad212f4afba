// Jobs by name: what `shardrun jobs` lists and `shardrun run NAME` runs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shardrun/job.hpp"

namespace shardrun {

struct JobInfo {
  std::string name;
  std::string summary;  // one line for `shardrun jobs`
  std::function<std::unique_ptr<Job>()> make;
};

// Not thread-safe; filled before parsing the command line.
class Registry {
 public:
  void add(JobInfo info);  // throws std::logic_error on a duplicate name
  const JobInfo* find(std::string_view name) const;
  const std::vector<JobInfo>& jobs() const { return jobs_; }

 private:
  std::vector<JobInfo> jobs_;
};

}  // namespace shardrun
