// How many worker threads a rank uses by default.
#pragma once

namespace shardrun {

// SLURM_CPUS_PER_TASK when Slurm set it, else the CPUs this process may run
// on (its affinity mask: mpirun binds ranks to cores), at least 1.
int default_threads();

// The CPUs this process may run on (its affinity mask), at least 1.
int usable_cores();

}  // namespace shardrun
