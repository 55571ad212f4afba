#include <shardrun/errors.hpp>

#include "jobs.hpp"

namespace myjob {

void Scale::add_options(shardrun::Options& options) {
  options.add("--input", input_, "Dataset, FILE.h5:/path (float64 or float32, any rank)")
      .required();
  options.add("--a", a_, "Factor").show_default();
  options.add("--b", b_, "Offset").show_default();
}

// Exactly what makes the result: the engine keeps it with the checkpoint,
// so a resume with other values is refused rather than mixed.
std::string Scale::parameters() const {
  return "input=" + input_ + " a=" + std::to_string(a_) + " b=" + std::to_string(b_);
}

void Scale::prepare(const shardrun::InputInfo& input) {
  if (input.type != shardrun::ElementType::f64 && input.type != shardrun::ElementType::f32)
    throw shardrun::UsageError("scale: --input " + input_ + " must hold float64 or float32");
  info_ = input;
}

std::vector<shardrun::OutputSpec> Scale::outputs() const {
  // The input's shape, whatever its rank: rows × the shape of a row.
  return {{"scaled", shardrun::ElementType::f64, info_.shape}};
}

// Called for many shards at once on the rank's threads: it touches no member
// but reads them, and writes only the rows of its own shard.
void Scale::process(shardrun::ShardContext& ctx, shardrun::OutputSink& out) const {
  ctx.for_each_block([&](const shardrun::Block& block) {
    std::vector<double> y(block.rows * block.cols);
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double x = block.type == shardrun::ElementType::f64 ? block.values<double>()[i]
                                                                : block.values<float>()[i];
      y[i] = a_ * x + b_;
    }
    out.write_rows("scaled", block.first_row, block.rows, y.data());
  });
}

}  // namespace myjob
