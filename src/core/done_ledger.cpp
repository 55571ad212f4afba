#include "core/done_ledger.hpp"

#include <cmath>
#include <limits>

namespace shardrun::core {

DoneLedger::DoneLedger(const mpi::Comm& comm, std::uint64_t shard_count, ShardResults& results,
                       double send_interval_s)
    : rank_(comm.rank()),
      ranks_(comm.size()),
      results_(results),
      mailbox_(comm),
      send_interval_(send_interval_s),
      last_send_(std::chrono::steady_clock::now()) {
  if (rank_ == 0) {
    done_.assign(shard_count, 0);
    seconds_.assign(shard_count, std::numeric_limits<double>::quiet_NaN());
  }
}

void DoneLedger::preload(const std::vector<std::uint8_t>& done,
                         const std::vector<double>& seconds) {
  done_ = done;
  seconds_ = seconds;
  done_count_ = 0;
  for (std::uint8_t d : done_) done_count_ += d != 0;
}

void DoneLedger::record(const ShardOutcome& outcome) {
  const double seconds = outcome.end_s - outcome.start_s;
  if (rank_ == 0) {
    if (!done_[outcome.shard.id]) ++done_count_;
    done_[outcome.shard.id] = 1;
    seconds_[outcome.shard.id] = seconds;
  } else {
    pending_ids_.push_back(outcome.shard.id);
    pending_seconds_.push_back(seconds);
  }
}

Bytes DoneLedger::take_delta(bool last) {
  Encoder out;
  out.put<std::uint8_t>(last);
  out.put<std::uint64_t>(pending_ids_.size());
  out.put_bytes(pending_ids_.data(), pending_ids_.size() * sizeof(std::uint64_t));
  out.put_bytes(pending_seconds_.data(), pending_seconds_.size() * sizeof(double));
  const Bytes partials = results_.take_delta();
  out.put_bytes(partials.data(), partials.size());
  pending_ids_.clear();
  pending_seconds_.clear();
  return out.take();
}

void DoneLedger::merge(std::span<const std::byte> delta, bool& last) {
  Decoder in(delta);
  last = in.get<std::uint8_t>() != 0;
  const auto count = in.get<std::uint64_t>();
  std::vector<std::uint64_t> ids(count);
  std::vector<double> seconds(count);
  in.get_bytes(ids.data(), count * sizeof(std::uint64_t));
  in.get_bytes(seconds.data(), count * sizeof(double));
  const std::size_t header = 1 + 8 + count * 16;
  results_.add_delta(delta.subspan(header));
  for (std::size_t i = 0; i < count; ++i) {
    if (!done_[ids[i]]) ++done_count_;
    done_[ids[i]] = 1;
    seconds_[ids[i]] = seconds[i];
  }
}

void DoneLedger::tick() {
  if (rank_ != 0) {
    mailbox_.progress();  // a large delta moves only while we are inside MPI too
    const auto now = std::chrono::steady_clock::now();
    if (now - last_send_ < send_interval_ || pending_ids_.empty()) return;
    last_send_ = now;
    mailbox_.send(0, take_delta(false));
    return;
  }
  while (auto message = mailbox_.try_receive()) {
    bool last = false;
    merge(message->second, last);
    finished_ranks_ += last;
  }
}

void DoneLedger::finish() {
  if (rank_ != 0) {
    mailbox_.send(0, take_delta(true));
    mailbox_.flush();
    return;
  }
  while (finished_ranks_ < ranks_ - 1) {
    auto [source, bytes] = mailbox_.receive();
    bool last = false;
    merge(bytes, last);
    finished_ranks_ += last;
  }
}

}  // namespace shardrun::core
