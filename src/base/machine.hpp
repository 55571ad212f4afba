// Facts about the machine a rank runs on: its host name and its cores.
#pragma once

#include <string>

namespace shardrun::base {

// This machine's host name, for run histories and task records.
std::string host_name();

// SLURM_CPUS_PER_TASK when Slurm set it, else the CPUs this process may run
// on (its affinity mask: mpirun binds ranks to cores), at least 1.
int default_threads();

// The CPUs this process may run on (its affinity mask), at least 1.
int usable_cores();

}  // namespace shardrun::base
