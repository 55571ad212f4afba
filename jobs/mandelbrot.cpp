#include "mandelbrot.hpp"

#include <algorithm>
#include <cmath>

namespace shardrun::jobs {

std::uint16_t MandelbrotView::pixel(std::uint64_t x, std::uint64_t y) const {
  const double cr =
      x_min + (static_cast<double>(x) + 0.5) * ((x_max - x_min) / static_cast<double>(width));
  const double ci =
      y_min + (static_cast<double>(y) + 0.5) * ((y_max - y_min) / static_cast<double>(height));
  double zr = 0, zi = 0;
  std::uint32_t i = 0;
  for (; i < max_iter; ++i) {
    const double rr = zr * zr, ii = zi * zi;
    if (rr + ii > 4.0) break;
    zi = 2.0 * zr * zi + ci;
    zr = rr - ii + cr;
  }
  return static_cast<std::uint16_t>(i);
}

void MandelbrotJob::add_options(Options& options) {
  options.add("--width", view_.width, "Image width, pixels").show_default().positive();
  options.add("--height", view_.height, "Image height, pixels (rows are the items)")
      .show_default()
      .positive();
  options.add("--max-iter", view_.max_iter, "Iterations before a point counts as inside")
      .show_default()
      .range(1, 65535);
  options.add("--x-min", view_.x_min, "Left edge of the region").show_default();
  options.add("--x-max", view_.x_max, "Right edge").show_default();
  options.add("--y-min", view_.y_min, "Bottom edge (row 0)").show_default();
  options.add("--y-max", view_.y_max, "Top edge").show_default();
}

std::string MandelbrotJob::parameters() const {
  char text[256];
  std::snprintf(text, sizeof text, "width=%llu;height=%llu;max_iter=%u;x=%.17g:%.17g;y=%.17g:%.17g",
                static_cast<unsigned long long>(view_.width),
                static_cast<unsigned long long>(view_.height), view_.max_iter, view_.x_min,
                view_.x_max, view_.y_min, view_.y_max);
  return text;
}

DomainSpec MandelbrotJob::domain() const {
  if (!(view_.x_min < view_.x_max) || !(view_.y_min < view_.y_max))
    throw UsageError("--x-min/--x-max/--y-min/--y-max: each minimum must be below its maximum");
  // A row is computed whole (and the image's byte count must not wrap).
  constexpr std::uint64_t kMaxWidth = 1ull << 28;
  if (view_.width > kMaxWidth)
    throw UsageError("--width: at most " + std::to_string(kMaxWidth) + " pixels");
  if (view_.height > (std::uint64_t{1} << 62) / (2 * view_.width))
    throw UsageError("--height: an image of " + std::to_string(view_.width) + " x " +
                     std::to_string(view_.height) + " pixels is more than 2^62 bytes");
  // About 64 KiB of output per shard by default, at least one row.
  const std::uint64_t rows = std::max<std::uint64_t>(1, (64u << 10) / (2 * view_.width));
  return IndexDomain{view_.height, rows};
}

std::vector<OutputSpec> MandelbrotJob::outputs() const {
  return {{"image", ElementType::u16, {view_.height, view_.width}}};
}

void MandelbrotJob::process(ShardContext& ctx, OutputSink& out) const {
  const Shard& shard = ctx.shard();
  std::vector<std::uint16_t> rows(shard.items() * view_.width);
  for (std::uint64_t y = shard.begin; y < shard.end; ++y)
    for (std::uint64_t x = 0; x < view_.width; ++x)
      rows[(y - shard.begin) * view_.width + x] = view_.pixel(x, y);
  out.write_rows("image", shard.begin, shard.items(), rows.data());
}

}  // namespace shardrun::jobs
