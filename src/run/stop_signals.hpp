// SIGTERM, SIGINT, SIGUSR1 and SIGXCPU ask a run to stop and checkpoint.
#pragma once

#include <string>

namespace shardrun::run {

// While alive, the four signals set a flag instead of killing the process
// (promise 6: graceful stop); a second SIGINT or SIGTERM ends the process at
// once with 128 + the signal (the last checkpoint still holds). Restores the
// previous handlers on destruction. One at a time per process.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first signal received, or 0. Async-signal-safe to set, cheap to read.
  static int received();
  // A stop asked for without a signal: the status service's POST /api/stop.
  static void request_stop();
  // Either of them.
  static bool stop_requested();
  // "stopped (USR1)", "stopped (status API)"; empty when neither.
  static std::string stop_reason();
};

}  // namespace shardrun::run
