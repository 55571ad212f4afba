#include "core/shape_runner.hpp"

#include <cstring>
#include <utility>
#include <vector>

#include "core/partial_store.hpp"
#include "report/run_record.hpp"
#include "tasks/task_runner.hpp"

namespace shardrun {
namespace {

struct PartialOutput : ShardOutput {
  explicit PartialOutput(PartialPtr p) : partial(std::move(p)) {}
  PartialPtr partial;
};

// Reduce: partials fold along the fixed combine tree, on every rank and then
// on rank 0 (DESIGN.md promise 2).
class ReduceRunner : public ShapeRunner {
 public:
  ReduceRunner(ReduceJob& job, std::uint64_t shard_count)
      : job_(job), shard_count_(shard_count), store_(shard_count) {}
  Bytes take_delta() override {
    Bytes delta = store_.encode();
    store_ = PartialStore(shard_count_);
    return delta;
  }
  void add_delta(std::span<const std::byte> delta) override {
    store_.add_encoded(delta, [&](Decoder& in) { return job_.decode(in); });
  }
  Bytes save() const override { return store_.encode(); }

  std::unique_ptr<ShardOutput> process(ShardContext& context) override {
    return std::make_unique<PartialOutput>(job_.process(context));
  }
  void done(ShardOutcome& outcome, io::ResultFile&) override {
    auto& out = static_cast<PartialOutput&>(*outcome.output);
    store_.add_leaf(outcome.shard.id, std::move(out.partial));
  }
  JobResult finish(io::ResultFile& output) override {
    const Partial* result = store_.root();
    if (!result) throw RuntimeError("internal error: shards missing from the reduction");
    JobResult out;
    out.summary = job_.finalize(*result, output);
    Encoder encoded;
    result->encode(encoded);
    const Bytes bytes = encoded.take();
    out.digest = digest_hex(bytes.data(), bytes.size());
    return out;
  }

 private:
  ReduceJob& job_;
  std::uint64_t shard_count_;
  PartialStore store_;  // rank 0: everything so far; others: since the last delta
};

// Map: a shard's rows are buffered by the worker and written by the main
// thread (HDF5 and MPI stay on one thread), before the shard counts as done.
class BufferedSink : public OutputSink, public ShardOutput {
 public:
  struct Rows {
    std::string dataset;
    std::uint64_t first_row;
    std::uint64_t rows;
    Bytes data;
  };
  explicit BufferedSink(const io::ResultFile& output) : output_(output) {}
  void write_rows(const std::string& dataset, std::uint64_t first_row, std::uint64_t rows,
                  const void* data) override {
    const OutputSpec* spec = output_.output(dataset);
    if (!spec) throw RuntimeError("job wrote to an output it did not declare: " + dataset);
    if (first_row + rows > spec->dims.at(0))
      throw RuntimeError("job wrote rows " + std::to_string(first_row) + ".." +
                         std::to_string(first_row + rows) + " past the end of " + dataset);
    std::uint64_t row_bytes = element_size(spec->type);
    for (std::size_t d = 1; d < spec->dims.size(); ++d) row_bytes *= spec->dims[d];
    Bytes copy(rows * row_bytes);
    if (!copy.empty()) std::memcpy(copy.data(), data, copy.size());
    pending.push_back({dataset, first_row, rows, std::move(copy)});
  }
  std::vector<Rows> pending;

 private:
  const io::ResultFile& output_;
};

class MapRunner : public ShapeRunner {
 public:
  explicit MapRunner(MapJob& job) : job_(job) {}
  void start(io::ResultFile& output) override {
    output.create_outputs(job_.outputs());
    output_ = &output;
  }
  std::unique_ptr<ShardOutput> process(ShardContext& context) override {
    auto sink = std::make_unique<BufferedSink>(*output_);
    job_.process(context, *sink);
    return sink;
  }
  void done(ShardOutcome& outcome, io::ResultFile& output) override {
    auto& sink = static_cast<BufferedSink&>(*outcome.output);
    for (const BufferedSink::Rows& rows : sink.pending)
      output.write_output_rows(rows.dataset, rows.first_row, rows.rows, rows.data.data());
  }
  JobResult finish(io::ResultFile&) override {
    std::string names;
    for (const OutputSpec& spec : job_.outputs())
      names += (names.empty() ? "/" : ", /") + spec.name;
    return {"wrote " + names, ""};
  }

 private:
  MapJob& job_;
  const io::ResultFile* output_ = nullptr;
};

}  // namespace

std::unique_ptr<ShapeRunner> make_shape_runner(Job& job, std::uint64_t shard_count,
                                               std::uint64_t items, int rank) {
  if (auto* reduce = dynamic_cast<ReduceJob*>(&job))
    return std::make_unique<ReduceRunner>(*reduce, shard_count);
  if (auto* map = dynamic_cast<MapJob*>(&job)) return std::make_unique<MapRunner>(*map);
  return std::make_unique<tasks::TaskRunner>(dynamic_cast<TaskJob&>(job), items, rank);
}

}  // namespace shardrun
