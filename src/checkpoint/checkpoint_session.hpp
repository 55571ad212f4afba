// Rank 0's side of a checkpointed run: lock, resume state, periodic saves.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/run_lock.hpp"

namespace shardrun::checkpoint {

// What a save writes of the run: a plain value the orchestrator fills from
// its done ledger and shape runner; the session knows neither.
struct Snapshot {
  std::vector<std::uint8_t> done;     // one per shard
  std::vector<double> shard_seconds;  // NaN while not done
  Bytes shape_state;                  // ShapeRunner::save()
  std::string how = "running";        // how this run stands (RunEntry::how)
  std::vector<double> rank_speed;     // empty: keep what the run entry has
};

// Rank 0 only. Holds the checkpoint's lock for the run's life; loads an
// existing checkpoint (refusing one of another fingerprint, or a damaged one,
// with a UsageError that leaves the file untouched) unless `restart`; then
// appends this run to the history and saves on request. Periodic saves run
// on a thread of their own (a copy of the state; fsync can take long and the
// main thread must keep feeding the workers); final saves wait for it. A save
// that fails is reported on stderr and the previous checkpoint stays intact.
// The journals of checkpoint `path` are "<journal_prefix(path)>.<run>.<rank>".
std::string journal_prefix(const std::string& path);

class CheckpointSession {
 public:
  // `appended`: whether a saved fingerprint that differs from `now` only in
  // the job's parameters and counts is the same task farm with tasks
  // appended; the session then takes it up with nothing marked done (the
  // shape finds what is, from its saved state) and `now`'s fingerprint.
  CheckpointSession(std::string path, bool restart, const Fingerprint& now, RunEntry this_run,
                    const std::function<bool(const Fingerprint&)>& appended = {});
  ~CheckpointSession();
  CheckpointSession(const CheckpointSession&) = delete;
  CheckpointSession& operator=(const CheckpointSession&) = delete;

  bool resumed() const { return resumed_; }
  // The tasks the checkpoint had when it was taken up with tasks appended; 0 otherwise.
  std::uint64_t appended_to() const { return appended_to_; }
  const CheckpointState& state() const { return state_; }
  void set_output_working(const std::string& path) { state_.output_working = path; }
  // The shape's state as resumed, with what its journals added.
  void set_shape_state(Bytes state) { state_.shape_state = std::move(state); }
  // Files to remove once a save succeeded: journals whose content the
  // saved state includes.
  void remove_after_next_save(std::vector<std::string> paths);

  // Saves now and waits for it. Returns false (after a warning) when the
  // save failed.
  bool save(Snapshot snapshot);
  // Whether `every_s` has passed since the last save began and none is
  // still writing.
  bool save_due(double every_s) const;
  // Seconds since the last save began (or since the session opened).
  double seconds_since_save() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - last_save_).count();
  }
  // Starts saving on the background thread and returns.
  void save_in_background(Snapshot snapshot);
  // The job is complete, its result at result_path with /run@run_id
  // result_run_id: mark it so (keep) or remove the checkpoint.
  void complete(Snapshot snapshot, bool keep, const std::string& result_path,
                const std::string& result_run_id);

 private:
  std::string path_;
  RunLock lock_;
  CheckpointState state_;
  bool resumed_ = false;
  std::uint64_t appended_to_ = 0;
  std::chrono::steady_clock::time_point last_save_;
  std::thread writer_;  // the background save, if any
  std::atomic<bool> writing_{false};
  std::vector<std::string> removals_;  // after the next successful save

  void take(Snapshot snapshot);
  static bool write(const std::string& path, const CheckpointState& state);
  static void remove_all(const std::vector<std::string>& paths);
  void join();
};

}  // namespace shardrun::checkpoint
