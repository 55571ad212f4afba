#include <cmath>
#include <shardrun/errors.hpp>
#include <shardrun/partial.hpp>

#include "jobs.hpp"

namespace myjob {
namespace {

// Per column: how many values, and the sum of their squares. combine() adds:
// associative, and the engine always combines in the same order, so the
// result is bitwise the same on any number of ranks and threads.
struct SumSquares : shardrun::Partial {
  std::uint64_t count = 0;
  std::vector<double> squares;

  void combine(const shardrun::Partial& right) override {
    const auto& r = static_cast<const SumSquares&>(right);
    count += r.count;
    for (std::size_t c = 0; c < squares.size(); ++c) squares[c] += r.squares[c];
  }
  void encode(shardrun::Encoder& out) const override {
    out.put(count);
    out.put(static_cast<std::uint64_t>(squares.size()));
    out.put_bytes(squares.data(), squares.size() * sizeof(double));
  }
};

template <class T>
void add_squares(const shardrun::Block& block, std::uint64_t cols, std::vector<double>& squares) {
  const auto values = block.values<T>();
  for (std::uint64_t r = 0; r < block.rows; ++r)
    for (std::uint64_t c = 0; c < cols; ++c) {
      const double v = values[r * cols + c];
      squares[c] += v * v;
    }
}

}  // namespace

void Rms::add_options(shardrun::Options& options) {
  options.add("--input", input_, "Dataset, FILE.h5:/path (float64 or float32, any rank)")
      .required();
}

void Rms::prepare(const shardrun::InputInfo& input) {
  if (input.type != shardrun::ElementType::f64 && input.type != shardrun::ElementType::f32)
    throw shardrun::UsageError("rms: --input " + input_ + " must hold float64 or float32");
  cols_ = input.cols;
}

shardrun::PartialPtr Rms::process(shardrun::ShardContext& ctx) const {
  auto partial = std::make_unique<SumSquares>();
  partial->squares.assign(cols_, 0.0);
  ctx.for_each_block([&](const shardrun::Block& block) {
    if (block.type == shardrun::ElementType::f64)
      add_squares<double>(block, cols_, partial->squares);
    else
      add_squares<float>(block, cols_, partial->squares);
    partial->count += block.rows;
  });
  return partial;
}

shardrun::PartialPtr Rms::decode(shardrun::Decoder& in) const {
  auto partial = std::make_unique<SumSquares>();
  partial->count = in.get<std::uint64_t>();
  const auto cols = in.get<std::uint64_t>();
  if (cols != cols_) throw shardrun::RuntimeError("rms: a partial of another width");
  partial->squares.resize(cols);
  in.get_bytes(partial->squares.data(), cols * sizeof(double));
  return partial;
}

std::string Rms::finalize(const shardrun::Partial& total, shardrun::ResultWriter& out) const {
  const auto& t = static_cast<const SumSquares&>(total);
  std::vector<double> rms(t.squares.size());
  for (std::size_t c = 0; c < rms.size(); ++c)
    rms[c] = std::sqrt(t.squares[c] / static_cast<double>(t.count));
  out.write<double>("rms", rms, {rms.size()});
  out.write_scalar<std::uint64_t>("count", t.count);
  return "rms of " + std::to_string(t.count) + " rows: " + std::to_string(rms[0]) +
         (rms.size() > 1 ? " (column 0)" : "");
}

}  // namespace myjob
