// What makes a checkpoint belong to one job: job, parameters, input, plan.
#pragma once

#include <cstdint>
#include <string>

#include "core/shard_plan.hpp"
#include "io/dataset_reader.hpp"

namespace shardrun::checkpoint {

// Two runs may share a checkpoint only when every field is equal
// (docs/design.md, promise 5: no silent mixing).
struct Fingerprint {
  std::string job;
  std::string job_revision;            // JobInfo::revision, and a plugin's digest
  std::string parameters;              // Job::parameters()
  std::string input;                   // FILE.h5:/path, empty for index domains
  std::string input_type;              // e.g. "float64"
  std::string input_shape;             // e.g. "1000x3"
  std::uint64_t input_file_bytes = 0;  // of every file the values come from
  std::int64_t input_mtime_ns = 0;     // the newest of those files'
  std::string input_files;             // "N files, xxh3 H": each file's name, size and mtime
  std::uint64_t input_sample = 0;      // hash of rows sampled across the dataset
  std::uint64_t shards = 0;
  std::uint64_t items = 0;
  std::uint64_t tasks = 0;  // a task farm's tasks: its items, or its shards (exec --over)
  std::string plan;         // how the plan was asked for: "default", "shards=N", "shard_rows=R"
  std::string newest_file;  // not saved: the file of input_mtime_ns, for messages

  // Reads the input's identity (size, time, a content sample). Rank 0 only.
  static Fingerprint of(const std::string& job, const std::string& job_revision,
                        const std::string& parameters, const io::DatasetReader* input,
                        const core::ShardPlan& plan, const core::PlanRequest& request);
};

// "" when equal, else one sentence naming what differs, saved versus now.
std::string describe_difference(const Fingerprint& saved, const Fingerprint& now);

}  // namespace shardrun::checkpoint
