// The record of one run: the /run group of the output file and the summary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "h5/h5_file.hpp"

namespace shardrun {

struct RunRecord {
  std::string job;
  std::string parameters;
  std::string input;  // "FILE.h5:/path", or empty for index domains
  std::string balance;
  std::string version = SHARDRUN_VERSION;
  int ranks = 1;
  int threads = 1;
  std::uint64_t shards = 0;
  std::uint64_t items = 0;
  std::uint64_t bytes = 0;  // input bytes; 0 for index domains
  double wall_s = 0;        // the run, start to end, on rank 0
  double makespan_s = 0;    // first shard start to last shard end, all ranks
  std::vector<std::uint64_t> rank_shards;
  std::vector<double> rank_busy_s;
};

// Writes group /run: attributes job, parameters, input, ranks, threads, shards,
// balance, wall_s, makespan_s, version; datasets rank_shards, rank_busy_s.
void write_run_record(h5::File& file, const RunRecord& record);

// The lines rank 0 prints when a run ends.
std::string format_summary(const RunRecord& record, const std::string& job_summary,
                           const std::string& digest);

// FNV-1a over bytes, as 16 hex digits: a short fingerprint of a result.
std::string digest_hex(const void* data, std::size_t size);

}  // namespace shardrun
