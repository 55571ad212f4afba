#include "core/done_ledger.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "base/clock.hpp"
#include "base/exit_status.hpp"

namespace shardrun::core {

DoneLedger::DoneLedger(const mpi::Comm& comm, std::uint64_t shard_count, ShardResults& results,
                       double send_interval_s, double origin)
    : rank_(comm.rank()),
      ranks_(comm.size()),
      results_(results),
      mailbox_(comm),
      send_interval_(send_interval_s),
      last_send_(std::chrono::steady_clock::now()),
      shard_count_(shard_count),
      stride_(Timeline::stride_for(shard_count)),
      origin_(origin) {
  if (stride_ > 1) busy_.busy.assign(Timeline::kBins, 0.0);
  // Room for this rank's share of the rows, written (so its pages are
  // mapped) before the first shard: a row then costs one store.
  const std::uint64_t slots = (shard_count + stride_ - 1) / stride_;
  log_.resize(static_cast<std::size_t>(slots / static_cast<std::uint64_t>(ranks_) + 1024));
  if (rank_ == 0) {
    done_.assign(shard_count, 0);
    seconds_.assign(shard_count, std::numeric_limits<double>::quiet_NaN());
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
  ++logged_;
  if (log_end_ == log_.size()) log_.resize(2 * log_.size());
  log_[log_end_++] = {outcome.shard.id, static_cast<std::uint32_t>(rank_),
                      outcome.thread,   outcome.stolen,
                      outcome.start_s,  outcome.end_s};
  if (rank_ != 0) return;
  if (!done_[outcome.shard.id]) ++done_count_;
  done_[outcome.shard.id] = 1;
  seconds_[outcome.shard.id] = outcome.end_s - outcome.start_s;
  tallies_[0].shards += 1;
  tallies_[0].busy_s += outcome.end_s - outcome.start_s;
  if (log_end_ - unsent_ >= 4096) {  // rank 0 sends nothing: keep its log small
    keep_sampled(unsent_);
    unsent_ = log_end_;
  }
}

void DoneLedger::keep_sampled(std::size_t from) {
  if (stride_ == 1) return;
  std::size_t kept = from;
  for (std::size_t i = from; i < log_end_; ++i) {
    const TimelineEntry& e = log_[i];
    Timeline::add_busy(busy_, 1, 0, e.start_s - origin_, e.end_s - origin_);
    if (e.shard % stride_ == 0) log_[kept++] = e;
  }
  log_end_ = kept;
}

Bytes DoneLedger::take_delta(bool last) {
  const std::size_t count = log_end_ - unsent_;
  Encoder out;
  out.reserve(1 + 3 * 8 + count * sizeof(DoneRow) +
              (last ? 3 * 8 + log_end_ * sizeof(TimelineEntry) + busy_.busy.size() * 8 : 0));
  out.put<std::uint8_t>(last ? kLast : kMore);
  out.put<std::uint64_t>(count);
  out.put<std::uint64_t>(steals_);
  out.put<std::uint64_t>(stolen_shards_);
  for (std::size_t i = unsent_; i < log_end_; ++i)
    out.put(DoneRow{log_[i].shard, log_[i].end_s - log_[i].start_s});
  keep_sampled(unsent_);
  unsent_ = log_end_;
  if (last) {  // the timeline: this rank's sampled rows and busy bins
    out.put<std::uint64_t>(logged_);
    out.put<std::uint64_t>(log_end_);
    out.put_bytes(log_.data(), log_end_ * sizeof(TimelineEntry));
    out.put<double>(busy_.bin_s);
    out.put_bytes(busy_.busy.data(), busy_.busy.size() * sizeof(double));
  }
  const Bytes partials = results_.take_delta();
  out.put_bytes(partials.data(), partials.size());
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
  const auto corrupt = [source] {
    return RuntimeError("corrupt delta from rank " + std::to_string(source));
  };
  const auto count = in.get<std::uint64_t>();
  RankTally& tally = tallies_[static_cast<std::size_t>(source)];
  tally.steals = in.get<std::uint64_t>();
  tally.stolen_shards = in.get<std::uint64_t>();
  if (count > in.remaining() / sizeof(DoneRow)) throw corrupt();
  for (std::size_t i = 0; i < count; ++i) {
    const auto row = in.get<DoneRow>();
    if (row.id >= done_.size()) throw corrupt();
    if (!done_[row.id]) ++done_count_;
    done_[row.id] = 1;
    seconds_[row.id] = row.seconds;
    tally.shards += 1;
    tally.busy_s += row.seconds;
  }
  if (last) {
    const auto seen = in.get<std::uint64_t>();
    const auto rows = in.get<std::uint64_t>();
    if (rows > in.remaining() / sizeof(TimelineEntry)) throw corrupt();
    Timeline& timeline = gathered_timeline();
    for (std::uint64_t i = 0; i < rows; ++i) {  // read where they lie in the message
      auto row = in.get<TimelineEntry>();
      row.rank = static_cast<std::uint32_t>(source);
      timeline.add_sampled(row);
    }
    Timeline::Busy busy;
    busy.bin_s = in.get<double>();
    busy.busy.resize(stride_ > 1 ? Timeline::kBins : 0);
    if (busy.busy.size() * sizeof(double) > in.remaining()) throw corrupt();
    in.get_bytes(busy.busy.data(), busy.busy.size() * sizeof(double));
    timeline.add_rank(static_cast<std::uint32_t>(source), {}, busy, seen);
  }
  results_.add_delta(delta.subspan(delta.size() - in.remaining()));
}

Timeline& DoneLedger::gathered_timeline() {
  if (!timeline_) timeline_.emplace(origin_, shard_count_, ranks_);
  return *timeline_;
}

void DoneLedger::tick() {
  if (rank_ != 0) {
    mailbox_.progress();  // a large delta moves only while we are inside MPI too
    const auto now = std::chrono::steady_clock::now();
    if (now - last_send_ < send_interval_ || log_end_ == unsent_) return;
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
  keep_sampled(unsent_);
  unsent_ = log_end_;
  gathered_timeline().add_rank(0, {log_.data(), log_end_}, busy_, logged_);
  log_ = {};
}

}  // namespace shardrun::core
