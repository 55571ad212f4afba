#include "run/settle.hpp"

#include <cstdio>
#include <string>

#include "base/exit_status.hpp"
#include "base/machine.hpp"
#include "mpi/mpi_env.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::run {

std::optional<mpi::RankError> settle_error(const mpi::Comm& comm, const std::exception_ptr& error) {
  const base::Failure failure = base::failure_of(error);
  // Across hosts, where a rank failed says much (a path only some hosts see).
  const bool hosts = mpi::Environment::transport().nodes > 1;
  std::optional<mpi::RankError> first = comm.first_error(
      failure.exit_status, hosts ? base::host_name() + '\n' + failure.message : failure.message);
  if (!first) return first;
  std::string where;
  if (hosts) {
    const std::size_t cut = first->message.find('\n');
    where = "rank " + std::to_string(first->rank) + " on " + first->message.substr(0, cut) + ": ";
    first->message.erase(0, cut + 1);
  } else if (first->exit_status == kExitRuntimeError && comm.size() > 1) {
    where = "rank " + std::to_string(first->rank) + ": ";
  }
  if (comm.rank() == 0)
    std::fprintf(stderr, "shardrun: error: %s%s\n", where.c_str(), first->message.c_str());
  return first;
}

int settle(const mpi::Comm& comm, const std::exception_ptr& error) {
  const auto first = settle_error(comm, error);
  return first ? first->exit_status : kExitOk;
}

}  // namespace shardrun::run
