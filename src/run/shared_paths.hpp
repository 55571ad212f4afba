// On a run over several hosts: that every host sees the input and writes to
// the same output and checkpoint directories (a file system they share).
#pragma once

#include "mpi/comm.hpp"
#include "run/run_options.hpp"
#include "shardrun/job.hpp"

namespace shardrun::run {

// Collective; nothing to do on one host. Rank 0 puts a probe file in the
// --output and --checkpoint directories, every rank looks for the probes and
// for the input file, and a path some hosts cannot see ends every rank with
// one UsageError naming the option, the path and those hosts. Without this,
// such a run would fail later with an MPI-IO or HDF5 message, or write part
// of its result where rank 0 never looks.
void check_shared_paths(const Job& job, const RunOptions& options, const mpi::Comm& comm);

}  // namespace shardrun::run
