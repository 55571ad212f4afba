#include "core/timeline.hpp"

#include <algorithm>

namespace shardrun::core {

Timeline::Timeline(double origin, std::uint64_t shard_count, int ranks)
    : origin_(origin), stride_(stride_for(shard_count)), ranks_(ranks) {
  const std::uint64_t slots = (shard_count + stride_ - 1) / stride_;
  place_.assign(slots, kUnseen);
  start_.resize(slots);
  end_.resize(slots);
  if (stride_ > 1) sampled_busy_.busy.assign(static_cast<std::size_t>(ranks) * kBins, 0.0);
}

// A shard that ended: stores into one slot (and, for a sample, adds to the bins).
void Timeline::add(const TimelineEntry& entry) {
  ++seen_;
  std::uint64_t slot = entry.shard;  // every shard has a slot: no division
  if (stride_ > 1) {
    add_busy(sampled_busy_, ranks_, entry.rank, entry.start_s - origin_, entry.end_s - origin_);
    if (entry.shard % stride_ != 0) return;
    slot = entry.shard / stride_;
  }
  add_row(entry, slot);
}

void Timeline::add_rank(std::uint32_t rank, std::span<const TimelineEntry> sampled_rows,
                        const Busy& rank_busy, std::uint64_t seen) {
  seen_ += seen;
  for (const TimelineEntry& entry : sampled_rows) add_sampled(entry);
  if (stride_ == 1 || rank_busy.busy.size() < kBins || rank >= static_cast<std::uint32_t>(ranks_))
    return;
  // Both widths are 1 ms x 2^k: bring both to the wider, then every bin of
  // the rank's falls inside one of ours.
  Busy theirs = rank_busy;
  widen(theirs, 1, sampled_busy_.bin_s);
  widen(sampled_busy_, ranks_, theirs.bin_s);
  const double ratio = sampled_busy_.bin_s / theirs.bin_s;
  double* ours = sampled_busy_.busy.data() + static_cast<std::size_t>(rank) * kBins;
  for (std::size_t bin = 0; bin < kBins; ++bin)
    ours[static_cast<std::size_t>(static_cast<double>(bin) / ratio)] += theirs.busy[bin];
}

// A later attempt of a shard (a rerun, a retry elsewhere) replaces its row.
void Timeline::add_row(const TimelineEntry& entry, std::uint64_t slot) {
  if (slot >= place_.size()) return;  // not of the plan: nothing to draw it in
  const double start = entry.start_s - origin_, end = entry.end_s - origin_;
  if (place_[slot] == kUnseen)
    ++rows_;
  else if (end < end_[slot])
    return;
  place_[slot] = std::uint64_t{entry.rank} << 32 | std::uint64_t{entry.stolen} << 16 | entry.thread;
  start_[slot] = start;
  end_[slot] = end;
  last_end_ = std::max(last_end_, end);
}

Timeline::Rows Timeline::rows() const {
  Rows rows;
  const bool gaps = rows_ != place_.size();  // a resumed run: some shards ran before
  rows.shard.reserve(rows_), rows.rank.reserve(rows_), rows.thread.reserve(rows_);
  rows.stolen.reserve(rows_);
  if (!gaps) {
    rows.start_s = start_;
    rows.end_s = end_;
  }
  for (std::uint64_t slot = 0; slot < place_.size(); ++slot) {
    const std::uint64_t place = place_[slot];
    if (place == kUnseen) continue;
    rows.shard.push_back(slot * stride_);
    rows.rank.push_back(rank_of(place));
    rows.thread.push_back(static_cast<std::uint16_t>(place & 0xffff));
    rows.stolen.push_back(static_cast<std::uint8_t>(place >> 16 & 1));
    if (gaps) {
      rows.start_s.push_back(start_[slot]);
      rows.end_s.push_back(end_[slot]);
    }
  }
  return rows;
}

Timeline::Busy Timeline::busy() const {
  if (stride_ > 1) return sampled_busy_;
  Busy bins;
  bins.busy.assign(static_cast<std::size_t>(ranks_) * kBins, 0.0);
  while (last_end_ >= bins.bin_s * kBins) bins.bin_s *= 2;  // as add_busy would have widened them
  for (std::uint64_t slot = 0; slot < place_.size(); ++slot)
    if (place_[slot] != kUnseen)
      add_busy(bins, ranks_, rank_of(place_[slot]), start_[slot], end_[slot]);
  return bins;
}

void Timeline::widen(Busy& bins, int ranks, double bin_s) {
  while (bins.bin_s < bin_s) {
    for (int r = 0; r < ranks; ++r) {
      double* b = bins.busy.data() + static_cast<std::size_t>(r) * kBins;
      for (std::size_t i = 0; i < kBins / 2; ++i) b[i] = b[2 * i] + b[2 * i + 1];
      std::fill(b + kBins / 2, b + kBins, 0.0);
    }
    bins.bin_s *= 2;
  }
}

void Timeline::add_busy(Busy& bins, int ranks, std::uint32_t rank, double start, double end) {
  start = std::max(0.0, start);
  end = std::max(start, end);
  if (end >= bins.bin_s * kBins) {  // until `end` falls in the last bin
    double wide = bins.bin_s;
    while (end >= wide * kBins) wide *= 2;
    widen(bins, ranks, wide);
  }
  double* b = bins.busy.data() + static_cast<std::size_t>(rank) * kBins;
  for (auto bin = static_cast<std::size_t>(start / bins.bin_s); bin < kBins; ++bin) {
    const double lo = static_cast<double>(bin) * bins.bin_s, hi = lo + bins.bin_s;
    if (lo >= end) break;
    b[bin] += std::min(end, hi) - std::max(start, lo);
  }
}

}  // namespace shardrun::core
