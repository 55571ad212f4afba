#include "checkpoint/checkpoint_session.hpp"

#include <cstdio>
#include <filesystem>
#include <limits>
#include <utility>

#include "base/clock.hpp"
#include "io/durable_file.hpp"
#include "shardrun/errors.hpp"

namespace shardrun::checkpoint {

CheckpointSession::CheckpointSession(std::string path, bool restart, const Fingerprint& now,
                                     RunEntry this_run,
                                     const std::function<bool(const Fingerprint&)>& appended)
    : path_(std::move(path)), lock_(path_), last_save_(std::chrono::steady_clock::now()) {
  std::error_code ec;
  if (std::filesystem::exists(path_, ec) && !restart) {
    state_ = read_checkpoint(path_);
    const std::string difference = describe_difference(state_.fingerprint, now);
    // Tasks appended: nothing differs but the parameters and counts, and the
    // job says its list begins with the saved one.
    auto only_tasks_appended = [&] {
      Fingerprint grown = state_.fingerprint;
      grown.parameters = now.parameters;
      grown.shards = now.shards;
      grown.items = now.items;
      grown.tasks = now.tasks;
      return appended && state_.fingerprint.tasks < now.tasks &&
             describe_difference(grown, now).empty() && appended(state_.fingerprint);
    };
    if (!difference.empty() && only_tasks_appended()) {
      appended_to_ = state_.fingerprint.tasks;
      state_.fingerprint = now;
      state_.done.assign(now.shards, 0);
      state_.shard_seconds.assign(now.shards, std::numeric_limits<double>::quiet_NaN());
      state_.complete = false;
    } else if (!difference.empty()) {
      throw UsageError("--checkpoint: " + path_ + " belongs to another job (" + difference +
                       "); use another checkpoint file, or --restart to discard it");
    }
    resumed_ = true;
  } else {
    state_.fingerprint = now;
    state_.done.assign(now.shards, 0);
    state_.shard_seconds.assign(now.shards, std::numeric_limits<double>::quiet_NaN());
  }
  state_.runs.push_back(std::move(this_run));
}

std::string journal_prefix(const std::string& path) { return path + ".journal"; }

CheckpointSession::~CheckpointSession() { join(); }

void CheckpointSession::remove_after_next_save(std::vector<std::string> paths) {
  removals_.insert(removals_.end(), paths.begin(), paths.end());
}

void CheckpointSession::remove_all(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    std::error_code ec;
    std::filesystem::remove(p, ec);
  }
}

void CheckpointSession::join() {
  if (writer_.joinable()) writer_.join();
}

void CheckpointSession::take(Snapshot snapshot) {
  last_save_ = std::chrono::steady_clock::now();
  RunEntry& run = state_.runs.back();
  run.how = std::move(snapshot.how);
  run.last_saved_s = base::wall_seconds();
  if (run.how != "running") run.ended_s = run.last_saved_s;
  if (!snapshot.rank_speed.empty()) run.rank_speed = std::move(snapshot.rank_speed);
  state_.done = std::move(snapshot.done);
  state_.shard_seconds = std::move(snapshot.shard_seconds);
  state_.shape_state = std::move(snapshot.shape_state);
}

bool CheckpointSession::write(const std::string& path, const CheckpointState& state) {
  try {
    // Rows a map job reported done are on disk before the checkpoint says so.
    std::error_code ec;
    if (!state.output_working.empty() && std::filesystem::exists(state.output_working, ec))
      io::sync_file(state.output_working);
    write_checkpoint(path, state);
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shardrun: warning: %s; the previous checkpoint is intact\n", e.what());
    return false;
  }
}

bool CheckpointSession::save(Snapshot snapshot) {
  join();
  take(std::move(snapshot));
  if (!write(path_, state_)) return false;
  remove_all(std::exchange(removals_, {}));
  return true;
}

bool CheckpointSession::save_due(double every_s) const {
  return !writing_ &&
         std::chrono::steady_clock::now() - last_save_ >= std::chrono::duration<double>(every_s);
}

void CheckpointSession::save_in_background(Snapshot snapshot) {
  join();
  take(std::move(snapshot));
  writing_ = true;
  writer_ =
      std::thread([this, path = path_, state = state_, removals = std::exchange(removals_, {})] {
        if (write(path, state)) remove_all(removals);
        writing_ = false;
      });
}

void CheckpointSession::complete(Snapshot snapshot, bool keep, const std::string& result_path,
                                 const std::string& result_run_id) {
  if (!keep) {
    join();
    remove_all(std::exchange(removals_, {}));
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    if (ec) throw RuntimeError("cannot remove checkpoint " + path_ + ": " + ec.message());
    return;
  }
  state_.complete = true;
  state_.output_working.clear();
  state_.result_path = result_path;
  state_.result_run_id = result_run_id;
  snapshot.how = "completed";
  if (!save(std::move(snapshot)))
    throw RuntimeError("the results are written, but checkpoint " + path_ +
                       " could not be marked complete");
}

}  // namespace shardrun::checkpoint
