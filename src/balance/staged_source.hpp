// Stages of a farm: the to-do list cut into consecutive parts, each balanced
// by the chosen strategy, and part k+1 handed out only once every rank has
// finished its shards of part k (disBatch's BARRIER).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/shard_source.hpp"
#include "mpi/comm.hpp"
#include "mpi/stage_barrier.hpp"

namespace shardrun::balance {

class StagedSource : public core::ShardSource {
 public:
  // Collective. `starts`: the first position of each stage, ascending, the
  // first 0; `count`: positions in all. Every stage's source is made here
  // (their construction is collective; later a rank could not know that the
  // others will come).
  StagedSource(const std::string& strategy, const mpi::Comm& comm,
               std::vector<std::uint64_t> starts, std::uint64_t count,
               const std::vector<double>& weights);

  std::optional<core::ShardRange> next(std::uint64_t max, bool idle) override;
  void completed(std::uint64_t shards) override;
  void abandon() override;
  core::SourceStats stats() const override;

 private:
  std::vector<std::uint64_t> starts_;
  std::vector<std::unique_ptr<core::ShardSource>> stages_;
  mpi::StageBarriers barriers_;
  std::size_t stage_ = 0;
  std::uint64_t handed_ = 0, completed_ = 0;  // of this stage, on this rank
  bool dry_ = false;                          // this stage's source has no more for us
  bool arrived_ = false;                      // at this stage's barrier
  bool abandoned_ = false;
};

}  // namespace shardrun::balance
