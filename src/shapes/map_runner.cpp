#include "shapes/map_runner.hpp"

#include <cstring>
#include <utility>
#include <vector>

#include "io/durable_file.hpp"

namespace shardrun::shapes {
namespace {

class BufferedSink : public OutputSink, public core::ShardOutput {
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

}  // namespace

void MapRunner::start(io::ResultFile& output) {
  output.create_outputs(job_.outputs());
  output_ = &output;
}

std::unique_ptr<core::ShardOutput> MapRunner::process(ShardContext& context) {
  auto sink = std::make_unique<BufferedSink>(*output_);
  job_.process(context, *sink);
  return sink;
}

void MapRunner::done(core::ShardOutcome& outcome, io::ResultFile& output) {
  auto& sink = static_cast<BufferedSink&>(*outcome.output);
  for (const BufferedSink::Rows& rows : sink.pending)
    output.write_output_rows(rows.dataset, rows.first_row, rows.rows, rows.data.data());
}

Bytes MapRunner::take_delta() {
  if (output_) io::sync_file(output_->working_path());
  return {};
}

JobResult MapRunner::finish(io::ResultFile&) {
  std::string names;
  for (const OutputSpec& spec : job_.outputs()) names += (names.empty() ? "/" : ", /") + spec.name;
  return {"wrote " + names, ""};
}

}  // namespace shardrun::shapes
