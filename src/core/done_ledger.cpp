#include "core/done_ledger.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "base/exit_status.hpp"

namespace shardrun::core {

DoneLedger::DoneLedger(const mpi::Comm& comm, std::uint64_t shard_count, ShardResults& results,
                       double send_interval_s, double origin)
    : rank_(comm.rank()),
      ranks_(comm.size()),
      results_(results),
      mailbox_(comm),
      send_interval_(send_interval_s),
      last_send_(std::chrono::steady_clock::now()) {
  if (rank_ == 0) {
    done_.assign(shard_count, 0);
    seconds_.assign(shard_count, std::numeric_limits<double>::quiet_NaN());
    timeline_.emplace(origin, shard_count, ranks_);
    tallies_.resize(static_cast<std::size_t>(ranks_));
  }
}

void DoneLedger::set_steals(std::uint64_t steals, std::uint64_t stolen_shards) {
  steals_ = steals;
  stolen_shards_ = stolen_shards;
  if (rank_ == 0) {
    tallies_[0].steals = steals;
    tallies_[0].stolen_shards = stolen_shards;
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
  if (rank_ == 0) {
    if (!done_[outcome.shard.id]) ++done_count_;
    done_[outcome.shard.id] = 1;
    seconds_[outcome.shard.id] = outcome.end_s - outcome.start_s;
    tallies_[0].shards += 1;
    tallies_[0].busy_s += outcome.end_s - outcome.start_s;
    timeline_->add(
        {outcome.shard.id, 0, outcome.thread, outcome.stolen, outcome.start_s, outcome.end_s});
  } else {
    pending_.push_back({outcome.shard.id, outcome.start_s, outcome.end_s,
                        std::uint32_t{outcome.thread} | std::uint32_t{outcome.stolen} << 16, 0});
  }
}

Bytes DoneLedger::take_delta(bool last) {
  Encoder out;
  out.put<std::uint8_t>(last ? kLast : kMore);
  out.put<std::uint64_t>(pending_.size());
  out.put<std::uint64_t>(steals_);
  out.put<std::uint64_t>(stolen_shards_);
  out.put_bytes(pending_.data(), pending_.size() * sizeof(DoneRow));
  const Bytes partials = results_.take_delta();
  out.put_bytes(partials.data(), partials.size());
  pending_.clear();
  return out.take();
}

void DoneLedger::merge(int source, std::span<const std::byte> delta, bool& last) {
  Decoder in(delta);
  const auto kind = in.get<std::uint8_t>();
  last = kind != kMore;
  if (kind == kFailed) {
    const auto why = delta.subspan(1);
    failure_ = "rank " + std::to_string(source) +
               " could not send its finished shards to rank 0: " +
               std::string(reinterpret_cast<const char*>(why.data()), why.size());
    return;
  }
  const auto count = in.get<std::uint64_t>();
  RankTally& tally = tallies_[static_cast<std::size_t>(source)];
  tally.steals = in.get<std::uint64_t>();
  tally.stolen_shards = in.get<std::uint64_t>();
  if (count > in.remaining() / sizeof(DoneRow))
    throw RuntimeError("corrupt delta from rank " + std::to_string(source));
  // The rows are read where they lie in the message, one copy each.
  const std::byte* rows = delta.data() + (delta.size() - in.remaining());
  results_.add_delta(delta.subspan(1 + 3 * 8 + count * sizeof(DoneRow)));
  for (std::size_t i = 0; i < count; ++i) {
    DoneRow row;
    std::memcpy(&row, rows + i * sizeof(DoneRow), sizeof(DoneRow));
    if (row.id >= done_.size())
      throw RuntimeError("corrupt delta from rank " + std::to_string(source));
    if (!done_[row.id]) ++done_count_;
    done_[row.id] = 1;
    seconds_[row.id] = row.end_s - row.start_s;
    tally.shards += 1;
    tally.busy_s += row.end_s - row.start_s;
    timeline_->add({row.id, static_cast<std::uint32_t>(source),
                    static_cast<std::uint16_t>(row.place & 0xffff), (row.place >> 16 & 1) != 0,
                    row.start_s, row.end_s});
  }
}

void DoneLedger::tick() {
  if (rank_ != 0) {
    mailbox_.progress();  // a large delta moves only while we are inside MPI too
    const auto now = std::chrono::steady_clock::now();
    if (now - last_send_ < send_interval_ || pending_.empty()) return;
    last_send_ = now;
    mailbox_.send(0, take_delta(false));
    return;
  }
  while (auto message = mailbox_.try_receive()) {
    bool last = false;
    merge(message->first, message->second, last);
    finished_ranks_ += last;
  }
}

void DoneLedger::finish() {
  if (rank_ != 0) {
    // Rank 0 waits for one last message from every rank: when this rank
    // cannot build or send its own (bad_alloc, over 2 GiB), it still sends
    // one that says so, or rank 0 would wait forever.
    std::exception_ptr error;
    try {
      mailbox_.send(0, take_delta(true));
    } catch (...) {
      error = std::current_exception();
      const std::string why = base::failure_of(error).message.substr(0, 1000);
      Encoder out;
      out.put<std::uint8_t>(kFailed);
      out.put_bytes(why.data(), why.size());
      mailbox_.send(0, out.take());
    }
    mailbox_.flush();
    if (error) std::rethrow_exception(error);
    return;
  }
  while (finished_ranks_ < ranks_ - 1) {
    auto [source, bytes] = mailbox_.receive();
    bool last = false;
    merge(source, bytes, last);
    finished_ranks_ += last;
  }
  if (!failure_.empty()) throw RuntimeError(failure_);
}

}  // namespace shardrun::core
