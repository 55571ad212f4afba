// The map shape: shard → its rows of output datasets.
#pragma once

#include "shapes/shape_runner.hpp"

namespace shardrun::shapes {

// A shard's rows are buffered by the worker and written by the main thread
// (HDF5 and MPI stay on one thread) before the shard counts as done, so the
// rows of every done shard are in the working file, which a resume keeps.
class MapRunner : public ShapeRunner {
 public:
  explicit MapRunner(MapJob& job) : job_(job) {}
  bool output_survives_runs() const override { return true; }
  void start(io::ResultFile& output) override;
  std::unique_ptr<core::ShardOutput> process(ShardContext& context) override;
  void done(core::ShardOutcome& outcome, io::ResultFile& output) override;
  // Non-root ranks, before their finished shards leave for rank 0: the rows
  // are synced from this node first (rank 0's sync before a checkpoint
  // covers its own node's cache only, not another node's on a network file
  // system), so no checkpoint calls rows done that a node crash could lose.
  Bytes take_delta() override;
  JobResult finish(io::ResultFile& output) override;

 private:
  MapJob& job_;
  const io::ResultFile* output_ = nullptr;
};

}  // namespace shardrun::shapes
