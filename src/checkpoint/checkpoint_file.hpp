// The checkpoint file: what a resumed run needs, in HDF5. The layout is
// written down in docs/checkpoint_format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "checkpoint/fingerprint.hpp"
#include "shardrun/partial.hpp"

namespace shardrun::h5 {
class File;
}

namespace shardrun::checkpoint {

// One run of the job, as the checkpoint remembers it.
struct RunEntry {
  double started_s = 0;     // Unix time
  double last_saved_s = 0;  // the last checkpoint this run wrote
  double ended_s = 0;       // 0 while running (or killed)
  std::uint64_t ranks = 0;
  std::uint64_t threads = 0;
  std::string how = "running";  // running | completed | stopped (SIGNAL) | failed: MESSAGE
  std::string host;
  std::string slurm_job_id;
  std::string run_id;              // the /run@run_id of the result this run writes
  std::vector<double> rank_speed;  // work per busy second, per rank
};

struct CheckpointState {
  // 2: /partials became /shape_state. 3: runs record their run_id. Older
  // checkpoints are refused.
  static constexpr std::uint64_t kFormatVersion = 5;
  Fingerprint fingerprint;
  std::vector<std::uint8_t> done;     // one per shard
  std::vector<double> shard_seconds;  // NaN while not done
  Bytes shape_state;                  // the shape's saved state: folded partials, or task records
  std::string output_working;         // the working output file, kept between runs
  std::string result_path;            // once complete: where the result was written
  std::string result_run_id;          // once complete: the /run@run_id of that result
  std::vector<RunEntry> runs;
  bool complete = false;
};

// Writes path.tmp, fsyncs it and renames it over path: a reader finds the
// previous checkpoint or this one, never a mix. Throws RuntimeError; then
// path is untouched.
void write_checkpoint(const std::string& path, const CheckpointState& state);

// Throws UsageError naming --checkpoint and path when the file is not a
// shardrun checkpoint of this format, or damaged. Two checksums guard it:
// one of the file's bytes, in its first 512 bytes (HDF5's user block),
// verified before HDF5 parses anything (a damaged file could crash or hang
// the HDF5 library: the fuzzers found such files); and one of everything
// this function returns, verified after reading.
CheckpointState read_checkpoint(const std::string& path);
// The same from the file's bytes (the fuzz target); messages name `name`.
CheckpointState read_checkpoint_bytes(std::span<const std::byte> bytes, const std::string& name);
// The checks after the file checksum, on a file already open.
CheckpointState read_checkpoint(const h5::File& file);

}  // namespace shardrun::checkpoint
