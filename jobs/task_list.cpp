#include "task_list.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "entry_list.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::jobs {
namespace {

using nlohmann::json;

// Reads one task's fields; `where` is "FILE:LINE".
class FieldReader {
 public:
  explicit FieldReader(std::string where) : where_(std::move(where)) {}

  UsageError error(const std::string& field, const std::string& why) const {
    return UsageError(where_ + ": \"" + field + "\" " + why);
  }

  // A whole number in [low, high]; JSON numbers only ("4", 4.5 are refused).
  template <typename T>
  T integer(const json& value, const std::string& field, double low, double high) const {
    if (!value.is_number()) throw error(field, "must be a number, not " + value.dump());
    const double v = value.get<double>();
    if (v != std::floor(v)) throw error(field, "must be a whole number, not " + value.dump());
    if (v < low)
      throw error(field, low < 0 ? "is too small: " + value.dump()
                                 : "must not be " + std::string(v < 0 ? "negative" : "0"));
    if (v > high) throw error(field, "is too large: " + value.dump());
    if (value.is_number_integer()) return static_cast<T>(value.get<std::int64_t>());
    return static_cast<T>(v);  // 4.0
  }

  std::string text(const json& value, const std::string& field) const {
    if (!value.is_string()) throw error(field, "must be a string, not " + value.dump());
    return value.get<std::string>();
  }

  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

ListedTask read_task(const json& object, const FieldReader& r, TaskRequest request) {
  ListedTask task;
  if (!object.is_object())
    throw UsageError(r.where() + ": each line must be one JSON object, not " +
                     std::string(object.type_name()));
  for (const auto& [field, value] : object.items()) {
    if (field == "cmd") {
      task.cmd = r.text(value, field);
    } else if (field == "cpus") {
      request.cpus = r.integer<std::uint32_t>(value, field, 1, 1 << 20);
    } else if (field == "mem") {
      request.mem_bytes = value.is_number()
                              ? parse_memory_size(value.dump(), r.where() + ": \"mem\"")
                              : parse_memory_size(r.text(value, field), r.where() + ": \"mem\"");
    } else if (field == "gpus") {
      request.gpus = r.integer<std::uint32_t>(value, field, 0, 1 << 16);
    } else if (field == "priority") {
      request.priority = r.integer<std::int64_t>(value, field, -9e15, 9e15);
    } else if (field == "stage") {
      request.stage = r.integer<std::uint64_t>(value, field, 0, 9e15);
    } else if (field == "timeout") {
      if (!value.is_number() || value.get<double>() <= 0)
        throw r.error(field, "must be a number of seconds above 0, not " + value.dump());
      request.timeout_s = value.get<double>();
    } else if (field == "retries") {
      request.retries = r.integer<int>(value, field, 0, 1e6);
    } else if (field == "name") {
      request.name = r.text(value, field);
    } else if (field == "cwd") {
      request.cwd = r.text(value, field);
    } else if (field == "env") {
      if (!value.is_object())
        throw r.error(field, "must be an object of strings, not " + value.dump());
      for (const auto& [key, v] : value.items())
        request.env.emplace_back(key, r.text(v, "env." + key));
    } else {
      throw r.error(field,
                    "is not a task field (cmd, cpus, mem, gpus, name, priority, stage, "
                    "timeout, retries, env, cwd)");
    }
  }
  if (task.cmd.find_first_not_of(" \t") == std::string::npos)
    throw UsageError(r.where() + ": the task has no \"cmd\"");
  task.request = std::move(request);
  return task;
}

}  // namespace

bool is_json_task_list(const std::string& path) {
  return path.ends_with(".jsonl") || path.ends_with(".ndjson");
}

std::vector<ListedTask> read_json_tasks(const std::string& path, const std::string& option,
                                        const TaskRequest& defaults) {
  std::vector<ListedTask> tasks;
  for (const NumberedEntry& entry : read_numbered_entries(path, option, true)) {
    const FieldReader reader(path + ":" + std::to_string(entry.line));
    json object;
    try {
      object = json::parse(entry.text);
    } catch (const json::parse_error& e) {
      // e.byte is the 1-based column of the fault.
      throw UsageError(reader.where() + ": not JSON (column " + std::to_string(e.byte) + ")");
    }
    tasks.push_back(read_task(object, reader, defaults));
    tasks.back().line = entry.line;
    tasks.back().text = entry.text;
  }
  return tasks;
}

}  // namespace shardrun::jobs
