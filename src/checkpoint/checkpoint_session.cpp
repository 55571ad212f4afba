#include "checkpoint/checkpoint_session.hpp"

#include <cstdio>
#include <filesystem>
#include <limits>

#include "core/executor.hpp"
#include "io/durable_file.hpp"
#include "shardrun/errors.hpp"

namespace shardrun {

CheckpointSession::CheckpointSession(std::string path, bool restart, const Fingerprint& now,
                                     RunEntry this_run)
    : path_(std::move(path)), lock_(path_), last_save_(std::chrono::steady_clock::now()) {
  std::error_code ec;
  if (std::filesystem::exists(path_, ec) && !restart) {
    state_ = read_checkpoint(path_);
    const std::string difference = describe_difference(state_.fingerprint, now);
    if (!difference.empty())
      throw UsageError("--checkpoint: " + path_ + " belongs to another job (" + difference +
                       "); use another checkpoint file, or --restart to discard it");
    resumed_ = true;
  } else {
    state_.fingerprint = now;
    state_.done.assign(now.shards, 0);
    state_.shard_seconds.assign(now.shards, std::numeric_limits<double>::quiet_NaN());
  }
  state_.runs.push_back(std::move(this_run));
}

CheckpointSession::~CheckpointSession() { join(); }

void CheckpointSession::join() {
  if (writer_.joinable()) writer_.join();
}

void CheckpointSession::snapshot(const DoneLedger& ledger, const ShapeRunner& runner,
                                 const std::string& how, const std::vector<double>& rank_speed) {
  last_save_ = std::chrono::steady_clock::now();
  RunEntry& run = state_.runs.back();
  run.how = how;
  run.last_saved_s = wall_seconds();
  if (how != "running") run.ended_s = run.last_saved_s;
  if (!rank_speed.empty()) run.rank_speed = rank_speed;
  state_.done = ledger.done();
  state_.shard_seconds = ledger.seconds();
  state_.partials = runner.save();
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

bool CheckpointSession::save(const DoneLedger& ledger, const ShapeRunner& runner,
                             const std::string& how, const std::vector<double>& rank_speed) {
  join();
  snapshot(ledger, runner, how, rank_speed);
  return write(path_, state_);
}

void CheckpointSession::save_if_due(const DoneLedger& ledger, const ShapeRunner& runner,
                                    double every_s) {
  if (writing_ ||
      std::chrono::steady_clock::now() - last_save_ < std::chrono::duration<double>(every_s))
    return;
  join();
  snapshot(ledger, runner, "running", {});
  writing_ = true;
  writer_ = std::thread([this, path = path_, state = state_] {
    write(path, state);
    writing_ = false;
  });
}

void CheckpointSession::complete(const DoneLedger& ledger, const ShapeRunner& runner,
                                 const std::vector<double>& rank_speed, bool keep) {
  if (!keep) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    if (ec) throw RuntimeError("cannot remove checkpoint " + path_ + ": " + ec.message());
    return;
  }
  state_.complete = true;
  state_.output_working.clear();
  if (!save(ledger, runner, "completed", rank_speed))
    throw RuntimeError("the results are written, but checkpoint " + path_ +
                       " could not be marked complete");
}

}  // namespace shardrun
