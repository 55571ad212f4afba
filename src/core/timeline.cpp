#include "core/timeline.hpp"

#include <algorithm>

namespace shardrun::core {

Timeline::Timeline(double origin, std::uint64_t shard_count, int ranks)
    : origin_(origin),
      stride_(std::max<std::uint64_t>(1, (shard_count + kMaxEntries - 1) / kMaxEntries)),
      ranks_(ranks),
      busy_(static_cast<std::size_t>(ranks) * kBins, 0.0) {
  entries_.reserve(std::min<std::uint64_t>(shard_count, kMaxEntries));
}

void Timeline::add(const TimelineEntry& entry) {
  ++seen_;
  if (entry.shard % stride_ == 0) entries_.push_back(entry);
  const double start = std::max(0.0, entry.start_s - origin_);
  const double end = std::max(start, entry.end_s - origin_);
  widen_to(end);
  double* bins = busy_.data() + static_cast<std::size_t>(entry.rank) * kBins;
  for (auto bin = static_cast<std::size_t>(start / bin_s_); bin < kBins; ++bin) {
    const double lo = static_cast<double>(bin) * bin_s_, hi = lo + bin_s_;
    if (lo >= end) break;
    bins[bin] += std::min(end, hi) - std::max(start, lo);
  }
}

// Doubles the bin width, merging pairs, until `end` falls in the last bin.
void Timeline::widen_to(double end) {
  while (end >= bin_s_ * kBins) {
    for (int rank = 0; rank < ranks_; ++rank) {
      double* bins = busy_.data() + static_cast<std::size_t>(rank) * kBins;
      for (std::size_t i = 0; i < kBins / 2; ++i) bins[i] = bins[2 * i] + bins[2 * i + 1];
      std::fill(bins + kBins / 2, bins + kBins, 0.0);
    }
    bin_s_ *= 2;
  }
}

}  // namespace shardrun::core
