// When the batch job running us must end, if the scheduler says.
#pragma once

#include <optional>

namespace shardrun::run {

// Unix seconds from $SLURM_JOB_END_TIME (set by newer Slurm releases) or
// $SHARDRUN_END_TIME (set by slurm/*.sbatch from `scontrol show job`);
// nothing when neither holds a positive number.
std::optional<double> job_end_time();

}  // namespace shardrun::run
