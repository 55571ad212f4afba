#include "run/shared_paths.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <variant>

#include "base/machine.hpp"
#include "io/dataset_ref.hpp"
#include "mpi/mpi_env.hpp"

namespace shardrun::run {
namespace {

namespace fs = std::filesystem;

struct Probe {
  std::string option;
  std::string path;     // absolute, as rank 0 sees it
  std::string look_at;  // what every rank checks: the input itself, or a probe file
};

// Rank 0: the paths to check, with probe files created in the directories.
// Never throws: a path rank 0 cannot probe is left to the checks that follow.
std::vector<Probe> make_probes(const Job& job, const RunOptions& options) {
  std::vector<Probe> probes;
  std::error_code ec;
  try {
    const DomainSpec domain = job.domain();
    if (const auto* dataset = std::get_if<DatasetDomain>(&domain)) {
      const fs::path file = fs::absolute(io::parse_dataset_ref(dataset->input, "--input").file);
      probes.push_back({"--input", file.string(), file.string()});
    }
  } catch (const std::exception&) {
  }
  const std::string tag = std::to_string(std::random_device{}());
  for (const auto& [option, path] :
       {std::pair{std::string("--output"), options.output}, {"--checkpoint", options.checkpoint}}) {
    if (path.empty()) continue;
    const fs::path dir = fs::absolute(path).parent_path();
    const fs::path probe = dir / (".shardrun-probe." + tag);
    const int fd =
        ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) continue;
    ::close(fd);
    probes.push_back({option, dir.string(), probe.string()});
  }
  return probes;
}

std::string encode(const std::vector<Probe>& probes) {
  std::string text;
  for (const Probe& p : probes) text += p.option + '\0' + p.path + '\0' + p.look_at + '\0';
  return text;
}

std::vector<Probe> decode(const std::string& text) {
  std::vector<Probe> probes;
  std::vector<std::string> parts;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\0', at);
    parts.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  for (std::size_t i = 0; i + 2 < parts.size(); i += 3)
    probes.push_back({parts[i], parts[i + 1], parts[i + 2]});
  return probes;
}

}  // namespace

void check_shared_paths(const Job& job, const RunOptions& options, const mpi::Comm& comm) {
  if (comm.size() == 1 || mpi::Environment::transport().nodes < 2) return;
  const bool root = comm.rank() == 0;
  const std::vector<Probe> probes =
      decode(comm.broadcast(root ? encode(make_probes(job, options)) : ""));
  std::uint64_t unseen = 0;  // bit i: probe i is not there for this rank
  std::error_code ec;
  for (std::size_t i = 0; i < probes.size() && i < 64; ++i)
    if (!fs::exists(probes[i].look_at, ec)) unseen |= std::uint64_t{1} << i;
  const std::vector<std::uint64_t> rank_unseen = comm.gather(unseen);
  const std::vector<std::string> hosts = comm.gather(base::host_name());
  std::string message;
  if (root) {
    for (const Probe& p : probes)
      if (p.look_at != p.path) fs::remove(p.look_at, ec);
    for (std::size_t i = 0; i < probes.size() && i < 64 && message.empty(); ++i) {
      std::string who;
      for (std::size_t r = 0; r < rank_unseen.size(); ++r)
        if (rank_unseen[r] >> i & 1)
          who += (who.empty() ? "" : ", ") + std::string("rank ") + std::to_string(r) + " on " +
                 hosts[r];
      if (who.empty()) continue;
      const bool input = probes[i].look_at == probes[i].path;
      message = probes[i].option + ": " + probes[i].path +
                (input ? " is not visible from every host: not from "
                       : " is not the same directory on every host (what rank 0 writes there "
                         "is not seen from ") +
                who + (input ? "" : ")") +
                "; shardrun needs a file system every host shares (copy the data there, or use "
                "a shared directory)";
    }
  }
  message = comm.broadcast(message);
  if (!message.empty()) throw UsageError(message);
}

}  // namespace shardrun::run
