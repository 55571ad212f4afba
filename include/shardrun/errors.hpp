// Errors a job or the engine reports to the user, and the exit statuses they map to.
#pragma once

#include <stdexcept>

namespace shardrun {

// The command as typed cannot run: a bad option value, an input that does not
// exist or does not suit the job, an output path that cannot be written.
// Exit status 2. The message names the option or file at fault.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure while the job runs (I/O error, a failed write). Exit status 1.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum ExitStatus : int {
  kExitOk = 0,
  kExitRuntimeError = 1,
  kExitUsageError = 2,
  kExitTasksFailed = 3,
  kExitStopped = 75,  // EX_TEMPFAIL: stopped, resumable
};

}  // namespace shardrun
