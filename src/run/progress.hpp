// The progress rank 0 shows while a job runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shardrun::run {

enum class ProgressMode {
  off,    // --quiet
  live,   // a terminal: one line rewritten in place
  lines,  // a batch log: a plain line every --progress-every seconds
};

// live when stderr is a terminal, or when it is a pipe to an mpirun whose own
// stderr is one (mpirun relays our output to the user's terminal).
ProgressMode choose_progress_mode(bool quiet);

struct ProgressState {
  std::uint64_t shards_done = 0;
  std::uint64_t shards_total = 0;
  std::uint64_t items_done = 0;
  double bytes_per_item = 0;  // 0: report items/s instead of GB/s
  double elapsed_s = 0;
};

// "37.5% 1536/4096 shards  6.21 GB/s  ETA 0:42"
std::string format_progress(const ProgressState& state);

// Main thread of rank 0. Writes to stderr.
class Progress {
 public:
  Progress(ProgressMode mode, double lines_every_s);
  std::chrono::milliseconds tick_interval() const;
  // Prints when a line is due in this mode (in lines mode: the first call, then
  // every lines_every_s).
  void update(const ProgressState& state);
  // Ends a live line so the summary starts on a fresh one; in lines mode
  // prints the final state, so a batch log always shows the end.
  void finish(const ProgressState& state);

 private:
  ProgressMode mode_;
  double lines_every_s_;
  double last_print_s_ = 0;
  bool printed_ = false;
  bool line_open_ = false;
};

}  // namespace shardrun::run
