#include "shardrun/registry.hpp"

#include <stdexcept>

namespace shardrun {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || name.front() == '-') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

}  // namespace

std::string revision_text(const JobInfo& info) {
  std::string text = "r" + std::to_string(info.revision);
  if (!info.plugin_digest.empty()) text += " plugin xxh3 " + info.plugin_digest;
  return text;
}

void Registry::add(JobInfo info) {
  if (!valid_name(info.name))
    throw std::invalid_argument("'" + info.name +
                                "' is not a job name (letters, digits, '-' and '_')");
  if (!info.make) throw std::invalid_argument("job '" + info.name + "' has no make function");
  if (info.revision < 1)
    throw std::invalid_argument("job '" + info.name + "' has revision " +
                                std::to_string(info.revision) + " (revisions start at 1)");
  if (const JobInfo* taken = find(info.name))
    throw std::invalid_argument("job '" + info.name + "' is already defined (" + taken->origin +
                                ")");
  jobs_.push_back(std::move(info));
}

const JobInfo* Registry::find(std::string_view name) const {
  for (const JobInfo& job : jobs_)
    if (job.name == name) return &job;
  return nullptr;
}

}  // namespace shardrun
