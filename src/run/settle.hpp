// Where errors cross the MPI boundary inside a run (docs/design.md, promise 7).
#pragma once

#include <exception>
#include <optional>

#include "mpi/comm.hpp"

namespace shardrun::run {

// Collective: every rank says how its last phase ended (its exception, or
// none); all learn the first failure, and rank 0 prints it as one line.
std::optional<mpi::RankError> settle_error(const mpi::Comm& comm, const std::exception_ptr& error);

// Collective: settle_error() as an exit status, kExitOk when no rank failed.
int settle(const mpi::Comm& comm, const std::exception_ptr& error);

}  // namespace shardrun::run
