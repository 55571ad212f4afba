#include "checkpoint/fingerprint.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "shardrun/digest.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::checkpoint {
namespace {

// Rows at 16 places spread over the dataset (64 rows each, at most): a
// change to the data that keeps size and time is still likely to be seen.
std::uint64_t sample(const io::DatasetReader& input) {
  const std::uint64_t rows = input.info().rows;
  const std::uint64_t take = std::min<std::uint64_t>(64, rows);
  Bytes buffer(take * input.row_bytes());
  std::string digests;
  for (std::uint64_t i = 0; i < 16; ++i) {
    const std::uint64_t first = (rows - take) * i / 15;
    input.read_rows(first, take, buffer.data());
    digests += digest_hex(buffer.data(), buffer.size());
  }
  return std::stoull(digest_hex(digests.data(), digests.size()), nullptr, 16);
}

}  // namespace

Fingerprint Fingerprint::of(const std::string& job, const std::string& job_revision,
                            const std::string& parameters, const io::DatasetReader* input,
                            const core::ShardPlan& plan, const core::PlanRequest& request) {
  Fingerprint f;
  f.job = job;
  f.job_revision = job_revision;
  f.parameters = parameters;
  f.shards = plan.count();
  f.items = plan.items();
  f.plan = request.shards        ? "shards=" + std::to_string(request.shards)
           : request.shard_items ? "shard_rows=" + std::to_string(request.shard_items)
                                 : "default";
  if (input) {
    const InputInfo& info = input->info();
    f.input = input->ref().text();
    f.input_type = std::string(element_type_name(info.type));
    for (std::uint64_t d : info.shape)
      f.input_shape += (f.input_shape.empty() ? "" : "x") + std::to_string(d);
    std::string identity;
    const std::vector<std::string> files = input->files();
    for (const std::string& path : files) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) throw RuntimeError("cannot stat " + path);
      const std::int64_t mtime =
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      f.input_file_bytes += static_cast<std::uint64_t>(st.st_size);
      if (f.newest_file.empty() || mtime > f.input_mtime_ns) {
        f.input_mtime_ns = mtime;
        f.newest_file = path;
      }
      identity += path + '\n' + std::to_string(st.st_size) + ' ' + std::to_string(mtime) + '\n';
    }
    f.input_files = std::to_string(files.size()) + (files.size() == 1 ? " file" : " files") +
                    ", xxh3 " + digest_hex(identity.data(), identity.size());
    f.input_sample = sample(*input);
  }
  return f;
}

std::string describe_difference(const Fingerprint& saved, const Fingerprint& now) {
  auto differs = [](const std::string& what, const auto& a, const auto& b) -> std::string {
    if (a == b) return "";
    std::ostringstream text;
    text << what << ": " << a << " in the checkpoint, " << b << " now";
    return text.str();
  };
  for (const std::string& d :
       {differs("another job", saved.job, now.job),
        differs("another revision of the job (its results or partials changed)", saved.job_revision,
                now.job_revision),
        differs("other parameters", saved.parameters, now.parameters),
        differs("another input", saved.input, now.input),
        differs("the input's type changed", saved.input_type, now.input_type),
        differs("the input's shape changed", saved.input_shape, now.input_shape),
        differs("the input file's size changed", saved.input_file_bytes, now.input_file_bytes),
        differs("the input file was modified (mtime ns; the newest now is " + now.newest_file + ")",
                saved.input_mtime_ns, now.input_mtime_ns),
        differs("the input's files changed (names, sizes or mtimes)", saved.input_files,
                now.input_files),
        differs("the input's content changed (sample hash)", saved.input_sample, now.input_sample),
        differs("another shard plan (shards)", saved.shards, now.shards),
        differs("another shard plan", saved.plan, now.plan)})
    if (!d.empty()) return d;
  return "";
}

}  // namespace shardrun::checkpoint
