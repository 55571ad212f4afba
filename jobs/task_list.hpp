// A JSON-lines task list for the exec job: one JSON object a line, its
// command and what it asks for (docs/task-farms.md):
//   {"cmd": "simulate --n 64", "cpus": 4, "mem": "8G", "priority": 10, "name": "big-1"}
#pragma once

#include <string>
#include <vector>

#include "shardrun/resources.hpp"

namespace shardrun::jobs {

struct ListedTask {
  std::size_t line = 0;  // in the file, 1-based
  std::string text;      // the line as written
  std::string cmd;
  TaskRequest request;
};

// True when `path` names a JSON-lines list (.jsonl or .ndjson).
bool is_json_task_list(const std::string& path);

// The tasks of `path`, each object's fields over `defaults`. Blank lines and
// lines starting with # are skipped. Throws UsageError naming the file and
// line: malformed JSON, an unknown field, a missing or empty "cmd", a
// negative, fractional or non-numeric request, an unknown memory unit.
std::vector<ListedTask> read_json_tasks(const std::string& path, const std::string& option,
                                        const TaskRequest& defaults);

}  // namespace shardrun::jobs
