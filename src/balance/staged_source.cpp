#include "balance/staged_source.hpp"

#include "balance/make_source.hpp"

namespace shardrun::balance {

StagedSource::StagedSource(const std::string& strategy, const mpi::Comm& comm,
                           std::vector<std::uint64_t> starts, std::uint64_t count,
                           const std::vector<double>& weights)
    : starts_(std::move(starts)), barriers_(comm, static_cast<int>(starts_.size()) - 1) {
  starts_.push_back(count);
  for (std::size_t s = 0; s + 1 < starts_.size(); ++s)
    stages_.push_back(make_shard_source(strategy, comm, starts_[s + 1] - starts_[s], weights));
}

std::optional<core::ShardRange> StagedSource::next(std::uint64_t max, bool idle) {
  while (!abandoned_ && stage_ < stages_.size()) {
    if (!dry_) {
      std::optional<core::ShardRange> range = stages_[stage_]->next(max, idle);
      if (range) {
        handed_ += range->size();
        range->begin += starts_[stage_];
        range->end += starts_[stage_];
        return range;
      }
      dry_ = true;
    }
    // Through this stage's shards here: arrive at its barrier once ours
    // have all finished, and move on once every rank has.
    if (completed_ < handed_) return core::ShardRange{};
    if (stage_ + 1 == stages_.size()) break;
    if (!arrived_) {
      barriers_.arrive();
      arrived_ = true;
    }
    if (!barriers_.passed()) return core::ShardRange{};
    ++stage_;
    handed_ = completed_ = 0;
    dry_ = arrived_ = false;
  }
  return std::nullopt;
}

void StagedSource::completed(std::uint64_t shards) {
  completed_ += shards;
  if (stage_ < stages_.size()) stages_[stage_]->completed(shards);
}

void StagedSource::abandon() {
  abandoned_ = true;
  for (auto& s : stages_) s->abandon();
}

core::SourceStats StagedSource::stats() const {
  core::SourceStats total;
  for (const auto& s : stages_) {
    const core::SourceStats one = s->stats();
    total.steals += one.steals;
    total.stolen_shards += one.stolen_shards;
  }
  return total;
}

}  // namespace shardrun::balance
