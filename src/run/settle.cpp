#include "run/settle.hpp"

#include <cstdio>
#include <string>

#include "base/exit_status.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::run {

std::optional<mpi::RankError> settle_error(const mpi::Comm& comm, const std::exception_ptr& error) {
  const base::Failure failure = base::failure_of(error);
  std::optional<mpi::RankError> first = comm.first_error(failure.exit_status, failure.message);
  if (first && comm.rank() == 0) {
    const bool name_rank = first->exit_status == kExitRuntimeError && comm.size() > 1;
    std::fprintf(stderr, "shardrun: error: %s%s\n",
                 name_rank ? ("rank " + std::to_string(first->rank) + ": ").c_str() : "",
                 first->message.c_str());
  }
  return first;
}

int settle(const mpi::Comm& comm, const std::exception_ptr& error) {
  const auto first = settle_error(comm, error);
  return first ? first->exit_status : kExitOk;
}

}  // namespace shardrun::run
