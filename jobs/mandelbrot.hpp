// The `mandelbrot` job: a map job; each shard computes rows of an image of the
// Mandelbrot set (escape iterations) and writes them into /image. Rows near
// the set cost far more than rows outside it: naturally uneven work.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shardrun/job.hpp"

namespace shardrun::jobs {

struct MandelbrotView {
  std::uint64_t width = 1024, height = 1024;
  double x_min = -2.0, x_max = 1.0, y_min = -1.5, y_max = 1.5;
  std::uint32_t max_iter = 256;

  // Escape iteration count of pixel (x, y) at its centre: z ← z² + c from 0
  // while |z|² ≤ 4, at most max_iter (points inside the set give max_iter).
  std::uint16_t pixel(std::uint64_t x, std::uint64_t y) const;
};

class MandelbrotJob : public MapJob {
 public:
  void add_options(Options& options) override;
  std::string parameters() const override;
  DomainSpec domain() const override;
  std::vector<OutputSpec> outputs() const override;
  void process(ShardContext& ctx, OutputSink& out) const override;

 private:
  MandelbrotView view_;
};

}  // namespace shardrun::jobs
