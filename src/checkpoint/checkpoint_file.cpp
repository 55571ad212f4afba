#include "checkpoint/checkpoint_file.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "base/checksum.hpp"
#include "h5/h5_dataset.hpp"
#include "h5/h5_file.hpp"
#include "h5/h5_record.hpp"
#include "io/durable_file.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::checkpoint {
namespace {

constexpr const char* kFormat = "shardrun checkpoint";

// The user block: "shardrun checkpoint 4 xxh3 <16 hex digits>\n", then zeros,
// the checksum being of every byte after the block.
constexpr std::size_t kUserBlock = 512;

std::uint64_t digest_of(std::span<const std::byte> after_block) {
  base::Checksum sum;
  sum.add(after_block.data(), after_block.size());
  return sum.value();
}

std::string file_header(std::span<const std::byte> after_block) {
  char text[80];
  std::snprintf(text, sizeof text, "%s %llu xxh3 %016llx\n", kFormat,
                static_cast<unsigned long long>(CheckpointState::kFormatVersion),
                static_cast<unsigned long long>(digest_of(after_block)));
  return text;
}

// The digest a header line "... xxh3 HEX\n" names, if it names one. Compared
// as a number, not as text: the checksum is against damage, not against a
// crafted file (XXH3 is not a MAC), and a text compare lets libFuzzer's
// compare tracing copy the right digest into its inputs and spend its time in
// HDF5's parser, whose hangs on crafted files are HDF5's (DESIGN.md).
std::optional<std::uint64_t> stored_digest(const std::string& head) {
  const std::string tag = " xxh3 ";
  const std::size_t at = head.find(tag);
  const std::size_t end = head.find('\n');
  if (at == std::string::npos || end == std::string::npos || end < at + tag.size() + 16)
    return std::nullopt;
  std::uint64_t digest = 0;
  const char* first = head.data() + at + tag.size();
  const auto [ptr, ec] = std::from_chars(first, first + 16, digest, 16);
  if (ec != std::errc() || ptr != first + 16 || ptr != head.data() + end) return std::nullopt;
  return digest;
}

Bytes read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Bytes bytes;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    const auto* p = reinterpret_cast<const std::byte*>(buffer);
    bytes.insert(bytes.end(), p, p + in.gcount());
  }
  if (in.bad()) throw RuntimeError("cannot read " + path);
  return bytes;
}

// Writes the header into the user block of the closed file at path.
void seal(const std::string& path) {
  const Bytes bytes = read_all(path);
  if (bytes.size() < kUserBlock) throw RuntimeError(path + " is shorter than its user block");
  const std::string header = file_header(std::span(bytes).subspan(kUserBlock));
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(0);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.flush();
  if (!out) throw RuntimeError("cannot write the checksum of " + path);
}

using h5::write_vector;

template <class T>
std::vector<T> read_vector(const h5::File& file, const std::string& name) {
  const h5::Dataset dataset = h5::Dataset::open(file, name);
  if (dataset.shape().dims.size() != 1) throw RuntimeError(name + " is not 1-D");
  return h5::read_values<T>(dataset);
}

const std::vector<h5::Field<Fingerprint>>& fingerprint_fields() {
  static const std::vector<h5::Field<Fingerprint>> fields = {
      {"job", &Fingerprint::job},
      {"job_revision", &Fingerprint::job_revision},
      {"tasks", &Fingerprint::tasks},
      {"parameters", &Fingerprint::parameters},
      {"input", &Fingerprint::input},
      {"input_type", &Fingerprint::input_type},
      {"input_shape", &Fingerprint::input_shape},
      {"input_file_bytes", &Fingerprint::input_file_bytes},
      {"input_mtime_ns", &Fingerprint::input_mtime_ns},
      {"input_files", &Fingerprint::input_files},
      {"input_sample", &Fingerprint::input_sample},
      {"shards", &Fingerprint::shards},
      {"items", &Fingerprint::items},
      {"plan", &Fingerprint::plan},
  };
  return fields;
}

const std::vector<h5::Field<RunEntry>>& run_fields() {
  static const std::vector<h5::Field<RunEntry>> fields = {
      {"started_s", &RunEntry::started_s}, {"last_saved_s", &RunEntry::last_saved_s},
      {"ended_s", &RunEntry::ended_s},     {"ranks", &RunEntry::ranks},
      {"threads", &RunEntry::threads},     {"how", &RunEntry::how},
      {"host", &RunEntry::host},           {"slurm_job_id", &RunEntry::slurm_job_id},
      {"run_id", &RunEntry::run_id},
  };
  return fields;
}

// Everything read_checkpoint() returns, in one fixed order.
std::uint64_t checksum_of(const CheckpointState& state) {
  base::Checksum sum;
  auto field = [&](const char*, const auto& value) { sum.add(value); };
  sum.add(CheckpointState::kFormatVersion);
  sum.add(std::uint64_t{state.complete});
  sum.add(state.output_working);
  sum.add(state.result_path);
  sum.add(state.result_run_id);
  h5::for_each_field(state.fingerprint, fingerprint_fields(), field);
  sum.add_sized(state.done);
  sum.add_sized(state.shard_seconds);
  sum.add_sized(state.shape_state);
  sum.add(static_cast<std::uint64_t>(state.runs.size()));
  for (const RunEntry& run : state.runs) {
    h5::for_each_field(run, run_fields(), field);
    sum.add_sized(run.rank_speed);
  }
  return sum.value();
}

void write_runs(h5::File& file, const std::vector<RunEntry>& runs) {
  file.create_group("/runs");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/runs/%04zu", i);  // sorts in run order
    file.create_group(name);
    h5::write_fields(file, name, runs[i], run_fields());
    write_vector(file, std::string(name) + "/rank_speed", runs[i].rank_speed);
  }
}

std::vector<RunEntry> read_runs(const h5::File& file) {
  std::vector<RunEntry> runs;
  for (const std::string& id : file.list("/runs")) {
    const std::string name = "/runs/" + id;
    RunEntry r;
    h5::read_fields(file, name, r, run_fields());
    r.rank_speed = read_vector<double>(file, name + "/rank_speed");
    runs.push_back(std::move(r));
  }
  return runs;
}

}  // namespace

void write_checkpoint(const std::string& path, const CheckpointState& state) {
  const std::string temp = path + ".tmp";
  try {
    std::error_code gone;
    std::filesystem::remove(temp, gone);  // a crashed save's; never followed if a symlink
    h5::File file = h5::File::create_new(temp, kUserBlock);
    file.write_attribute("/", "format", std::string(kFormat));
    file.write_attribute("/", "format_version", CheckpointState::kFormatVersion);
    file.write_attribute("/", "complete", std::uint64_t{state.complete});
    file.write_attribute("/", "output_working", state.output_working);
    file.write_attribute("/", "result_path", state.result_path);
    file.write_attribute("/", "result_run_id", state.result_run_id);
    file.write_attribute("/", "checksum", checksum_of(state));
    file.create_group("/fingerprint");
    h5::write_fields(file, "/fingerprint", state.fingerprint, fingerprint_fields());
    write_vector(file, "/done", state.done);
    write_vector(file, "/shard_seconds", state.shard_seconds);
    std::vector<std::uint8_t> shape_state(state.shape_state.size());
    if (!shape_state.empty())
      std::memcpy(shape_state.data(), state.shape_state.data(), shape_state.size());
    write_vector(file, "/shape_state", shape_state);
    write_runs(file, state.runs);
    file.close();
    seal(temp);
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
  Bytes bytes;
  try {
    bytes = read_all(path);
  } catch (const std::exception& e) {
    throw UsageError(where + ": " + e.what());
  }
  return read_checkpoint_bytes(bytes, path);
}

CheckpointState read_checkpoint_bytes(std::span<const std::byte> bytes, const std::string& name) {
  const std::string where = "--checkpoint: " + name;
  const std::string prefix = std::string(kFormat) + " ";
  const std::string head(reinterpret_cast<const char*>(bytes.data()),
                         std::min(bytes.size(), kUserBlock));
  if (head.compare(0, prefix.size(), prefix) != 0)
    throw UsageError(where + " is not a shardrun checkpoint of format " +
                     std::to_string(CheckpointState::kFormatVersion) +
                     " (an older shardrun's, or not a checkpoint): resume it with the shardrun "
                     "that wrote it, or --restart");
  const std::size_t version_end = head.find(' ', prefix.size());
  if (head.substr(prefix.size(), version_end - prefix.size()) !=
      std::to_string(CheckpointState::kFormatVersion))
    throw UsageError(
        where + " has format version " + head.substr(prefix.size(), version_end - prefix.size()) +
        "; this shardrun reads version " + std::to_string(CheckpointState::kFormatVersion) +
        " only: resume it with the shardrun that wrote it, or --restart");
  const std::optional<std::uint64_t> digest = stored_digest(head);
  if (bytes.size() < kUserBlock || !digest || *digest != digest_of(bytes.subspan(kUserBlock)))
    throw UsageError(where +
                     " is damaged: its bytes do not match their checksum (bit rot, a torn "
                     "write or an edit); use --restart to start over");
  std::optional<h5::File> file;
  try {
    file.emplace(h5::File::open_image(bytes, name));
  } catch (const std::exception& e) {
    throw UsageError(where + " is damaged and cannot be read (" + e.what() + ")");
  }
  return read_checkpoint(*file);
}

CheckpointState read_checkpoint(const h5::File& file) {
  const std::string where = "--checkpoint: " + file.path();
  try {
    if (!file.has_attribute("/", "format") || file.read_string_attribute("/", "format") != kFormat)
      throw UsageError(where + " is not a shardrun checkpoint");
    const std::uint64_t version = file.read_u64_attribute("/", "format_version");
    if (version != CheckpointState::kFormatVersion)
      throw UsageError(where + " has format version " + std::to_string(version) +
                       "; this shardrun reads version " +
                       std::to_string(CheckpointState::kFormatVersion) +
                       " only: resume it with the shardrun that wrote it, or --restart");
    CheckpointState state;
    state.complete = file.read_u64_attribute("/", "complete") != 0;
    state.output_working = file.read_string_attribute("/", "output_working");
    state.result_path = file.read_string_attribute("/", "result_path");
    state.result_run_id = file.read_string_attribute("/", "result_run_id");
    h5::read_fields(file, "/fingerprint", state.fingerprint, fingerprint_fields());
    state.done = read_vector<std::uint8_t>(file, "/done");
    state.shard_seconds = read_vector<double>(file, "/shard_seconds");
    const auto shape_state = read_vector<std::uint8_t>(file, "/shape_state");
    state.shape_state.resize(shape_state.size());
    if (!shape_state.empty())
      std::memcpy(state.shape_state.data(), shape_state.data(), shape_state.size());
    state.runs = read_runs(file);
    if (file.read_u64_attribute("/", "checksum") != checksum_of(state))
      throw UsageError(where +
                       " is damaged: what it holds does not match its checksum (bit rot, "
                       "a torn write or an edit); use --restart to start over");
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

}  // namespace shardrun::checkpoint
