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
  std::string name;     // `shardrun run NAME`: letters, digits, '-' and '_'
  std::string summary;  // one line for `shardrun jobs`
  std::function<std::unique_ptr<Job>()> make;
  // Raise it whenever the job's results or its partials' encoding change: a
  // checkpoint written by another revision is refused, never mixed in.
  int revision = 1;
  // Filled by the engine: "built in", or the plugin file the job came from,
  // and that file's content digest (also part of the checkpoint's identity).
  std::string origin = "built in";
  std::string plugin_digest = {};
};

// "r2", or "r2 plugin xxh3 0123456789abcdef": the job's identity in a
// checkpoint's fingerprint and the run record, besides its name.
std::string revision_text(const JobInfo& info);

// Not thread-safe; filled before parsing the command line.
class Registry {
 public:
  void add(JobInfo info);  // throws std::invalid_argument on a duplicate or a bad name
  const JobInfo* find(std::string_view name) const;
  const std::vector<JobInfo>& jobs() const { return jobs_; }

 private:
  std::vector<JobInfo> jobs_;
};

}  // namespace shardrun
