#include "checkpoint/checkpoint_file.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "h5/h5_dataset.hpp"
#include "h5/h5_file.hpp"
#include "io/durable_file.hpp"
#include "shardrun/errors.hpp"

namespace shardrun {
namespace {

constexpr const char* kFormat = "shardrun checkpoint";

using h5::write_vector;

template <class T>
std::vector<T> read_vector(const h5::File& file, const std::string& name) {
  const h5::Dataset dataset = h5::Dataset::open(file, name);
  const h5::DatasetShape shape = dataset.shape();
  if (shape.dims.size() != 1) throw RuntimeError(name + " is not 1-D");
  std::vector<T> values(shape.dims[0]);
  if (!values.empty()) dataset.read_all(element_type_of<T>(), values.data());
  return values;
}

void write_fingerprint(h5::File& file, const Fingerprint& f) {
  file.create_group("/fingerprint");
  file.write_attribute("/fingerprint", "job", f.job);
  file.write_attribute("/fingerprint", "parameters", f.parameters);
  file.write_attribute("/fingerprint", "input", f.input);
  file.write_attribute("/fingerprint", "input_type", f.input_type);
  file.write_attribute("/fingerprint", "input_shape", f.input_shape);
  file.write_attribute("/fingerprint", "input_file_bytes", f.input_file_bytes);
  file.write_attribute("/fingerprint", "input_mtime_ns",
                       static_cast<std::uint64_t>(f.input_mtime_ns));
  file.write_attribute("/fingerprint", "input_sample", f.input_sample);
  file.write_attribute("/fingerprint", "shards", f.shards);
  file.write_attribute("/fingerprint", "items", f.items);
  file.write_attribute("/fingerprint", "plan", f.plan);
}

Fingerprint read_fingerprint(const h5::File& file) {
  Fingerprint f;
  f.job = file.read_string_attribute("/fingerprint", "job");
  f.parameters = file.read_string_attribute("/fingerprint", "parameters");
  f.input = file.read_string_attribute("/fingerprint", "input");
  f.input_type = file.read_string_attribute("/fingerprint", "input_type");
  f.input_shape = file.read_string_attribute("/fingerprint", "input_shape");
  f.input_file_bytes = file.read_u64_attribute("/fingerprint", "input_file_bytes");
  f.input_mtime_ns =
      static_cast<std::int64_t>(file.read_u64_attribute("/fingerprint", "input_mtime_ns"));
  f.input_sample = file.read_u64_attribute("/fingerprint", "input_sample");
  f.shards = file.read_u64_attribute("/fingerprint", "shards");
  f.items = file.read_u64_attribute("/fingerprint", "items");
  f.plan = file.read_string_attribute("/fingerprint", "plan");
  return f;
}

void write_runs(h5::File& file, const std::vector<RunEntry>& runs) {
  file.create_group("/runs");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunEntry& r = runs[i];
    char name[32];
    std::snprintf(name, sizeof name, "/runs/%04zu", i);  // sorts in run order
    file.create_group(name);
    file.write_attribute(name, "started_s", r.started_s);
    file.write_attribute(name, "last_saved_s", r.last_saved_s);
    file.write_attribute(name, "ended_s", r.ended_s);
    file.write_attribute(name, "ranks", r.ranks);
    file.write_attribute(name, "threads", r.threads);
    file.write_attribute(name, "how", r.how);
    file.write_attribute(name, "host", r.host);
    file.write_attribute(name, "slurm_job_id", r.slurm_job_id);
    write_vector(file, std::string(name) + "/rank_speed", r.rank_speed);
  }
}

std::vector<RunEntry> read_runs(const h5::File& file) {
  std::vector<RunEntry> runs;
  for (const std::string& id : file.list("/runs")) {
    const std::string name = "/runs/" + id;
    RunEntry r;
    r.started_s = file.read_double_attribute(name, "started_s");
    r.last_saved_s = file.read_double_attribute(name, "last_saved_s");
    r.ended_s = file.read_double_attribute(name, "ended_s");
    r.ranks = file.read_u64_attribute(name, "ranks");
    r.threads = file.read_u64_attribute(name, "threads");
    r.how = file.read_string_attribute(name, "how");
    r.host = file.read_string_attribute(name, "host");
    r.slurm_job_id = file.read_string_attribute(name, "slurm_job_id");
    r.rank_speed = read_vector<double>(file, name + "/rank_speed");
    runs.push_back(std::move(r));
  }
  return runs;
}

}  // namespace

void write_checkpoint(const std::string& path, const CheckpointState& state) {
  const std::string temp = path + ".tmp";
  try {
    h5::File file = h5::File::create(temp);
    file.write_attribute("/", "format", std::string(kFormat));
    file.write_attribute("/", "format_version", CheckpointState::kFormatVersion);
    file.write_attribute("/", "complete", std::uint64_t{state.complete});
    file.write_attribute("/", "output_working", state.output_working);
    write_fingerprint(file, state.fingerprint);
    write_vector(file, "/done", state.done);
    write_vector(file, "/shard_seconds", state.shard_seconds);
    std::vector<std::uint8_t> partials(state.partials.size());
    if (!partials.empty()) std::memcpy(partials.data(), state.partials.data(), partials.size());
    write_vector(file, "/partials", partials);
    write_runs(file, state.runs);
    file.close();
    io::replace_file(temp, path);
  } catch (const std::exception& e) {
    std::error_code ec;
    std::filesystem::remove(temp, ec);
    throw RuntimeError("cannot write checkpoint " + path + ": " + e.what());
  }
}

CheckpointState read_checkpoint(const std::string& path) {
  const std::string where = "--checkpoint: " + path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw UsageError(where + " does not exist");
  if (!h5::File::is_hdf5(path))
    throw UsageError(where + " is not an HDF5 file (truncated or not a checkpoint)");
  try {
    const h5::File file = h5::File::open_read(path);
    if (!file.has_attribute("/", "format") || file.read_string_attribute("/", "format") != kFormat)
      throw UsageError(where + " is not a shardrun checkpoint");
    const std::uint64_t version = file.read_u64_attribute("/", "format_version");
    if (version != CheckpointState::kFormatVersion)
      throw UsageError(where + " has format version " + std::to_string(version) +
                       "; this shardrun reads version " +
                       std::to_string(CheckpointState::kFormatVersion));
    CheckpointState state;
    state.complete = file.read_u64_attribute("/", "complete") != 0;
    state.output_working = file.read_string_attribute("/", "output_working");
    state.fingerprint = read_fingerprint(file);
    state.done = read_vector<std::uint8_t>(file, "/done");
    state.shard_seconds = read_vector<double>(file, "/shard_seconds");
    const std::vector<std::uint8_t> partials = read_vector<std::uint8_t>(file, "/partials");
    state.partials.resize(partials.size());
    if (!partials.empty()) std::memcpy(state.partials.data(), partials.data(), partials.size());
    state.runs = read_runs(file);
    if (state.done.size() != state.fingerprint.shards ||
        state.shard_seconds.size() != state.fingerprint.shards)
      throw UsageError(where + " is inconsistent: its done set does not match its plan");
    return state;
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw UsageError(where + " is damaged and cannot be read (" + e.what() + ")");
  }
}

}  // namespace shardrun
