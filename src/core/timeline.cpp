#include "core/timeline.hpp"

#include <algorithm>

namespace shardrun::core {

Timeline::Timeline(double origin, std::uint64_t shard_count, int ranks)
    : origin_(origin),
      stride_(std::max<std::uint64_t>(1, (shard_count + kMaxEntries - 1) / kMaxEntries)),
      ranks_(ranks) {
  entries_.reserve(std::min<std::uint64_t>(shard_count, kMaxEntries));
  if (stride_ > 1) sampled_busy_.busy.assign(static_cast<std::size_t>(ranks) * kBins, 0.0);
}

// Per shard on rank 0's main thread: an append (the bins only for a sample).
void Timeline::add(const TimelineEntry& entry) {
  ++seen_;
  if (stride_ == 1) {
    entries_.push_back(entry);
    return;
  }
  if (entry.shard % stride_ == 0) entries_.push_back(entry);
  add_busy(sampled_busy_, ranks_, entry.rank, entry.start_s - origin_, entry.end_s - origin_);
}

Timeline::Busy Timeline::busy() const {
  if (stride_ > 1) return sampled_busy_;
  Busy bins;
  bins.busy.assign(static_cast<std::size_t>(ranks_) * kBins, 0.0);
  double last = 0;
  for (const TimelineEntry& e : entries_) last = std::max(last, e.end_s - origin_);
  while (last >= bins.bin_s * kBins) bins.bin_s *= 2;  // as add_busy would have widened them
  for (const TimelineEntry& e : entries_)
    add_busy(bins, ranks_, e.rank, e.start_s - origin_, e.end_s - origin_);
  return bins;
}

void Timeline::add_busy(Busy& bins, int ranks, std::uint32_t rank, double start, double end) {
  start = std::max(0.0, start);
  end = std::max(start, end);
  // Doubles the bin width, merging pairs, until `end` falls in the last bin.
  while (end >= bins.bin_s * kBins) {
    for (int r = 0; r < ranks; ++r) {
      double* b = bins.busy.data() + static_cast<std::size_t>(r) * kBins;
      for (std::size_t i = 0; i < kBins / 2; ++i) b[i] = b[2 * i] + b[2 * i + 1];
      std::fill(b + kBins / 2, b + kBins, 0.0);
    }
    bins.bin_s *= 2;
  }
  double* b = bins.busy.data() + static_cast<std::size_t>(rank) * kBins;
  for (auto bin = static_cast<std::size_t>(start / bins.bin_s); bin < kBins; ++bin) {
    const double lo = static_cast<double>(bin) * bins.bin_s, hi = lo + bins.bin_s;
    if (lo >= end) break;
    b[bin] += std::min(end, hi) - std::max(start, lo);
  }
}

}  // namespace shardrun::core
