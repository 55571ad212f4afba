#include "histogram.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace shardrun::jobs {

Binning::Binning(std::uint64_t bins, double lo, double hi)
    : bins_(bins),
      lo_(lo),
      hi_(hi),
      norm_(static_cast<double>(bins) / (hi - lo)),
      edges_(bins + 1) {
  // As numpy.linspace: i·step + lo, the last edge set to hi exactly.
  const double step = (hi - lo) / static_cast<double>(bins);
  for (std::uint64_t i = 0; i <= bins; ++i) edges_[i] = static_cast<double>(i) * step + lo;
  edges_[bins] = hi;
  // As numpy ("Too many bins for data range"): a range so narrow that edges
  // repeat, or so wide that hi - lo overflows, has no bins to count in (its
  // edges were NaN or equal, and bin() scaled by inf).
  bool usable = std::isfinite(norm_) && norm_ > 0;
  for (std::uint64_t i = 0; usable && i < bins; ++i)
    usable = std::isfinite(edges_[i]) && edges_[i] < edges_[i + 1];
  if (!usable) {
    auto shortest = [](double v) {
      char text[32];
      return std::string(text, std::to_chars(text, text + sizeof text, v).ptr);
    };
    throw UsageError("--range " + shortest(lo) + ":" + shortest(hi) +
                     " is too narrow or too wide for --bins " + std::to_string(bins) +
                     ": its bins' edges would not be finite and increasing");
  }
}

std::uint64_t Binning::bin(double value) const {
  // numpy's fast path: scale, truncate, then correct by one against the edges.
  auto index = static_cast<std::uint64_t>((value - lo_) * norm_);
  if (index >= bins_) index = bins_ - 1;
  if (value < edges_[index]) {
    --index;
  } else if (value >= edges_[index + 1] && index != bins_ - 1) {
    ++index;
  }
  return index;
}

namespace {

double parse_number(std::string_view text, const std::string& whole) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end)
    throw UsageError("--range: expected LO:HI with two numbers, got '" + whole + "'");
  return value;
}

}  // namespace

std::pair<double, double> parse_range(const std::string& text) {
  // Split at the ':' that is not a sign or exponent's neighbour: the first one.
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw UsageError("--range: expected LO:HI, got '" + text + "'");
  const double lo = parse_number(std::string_view(text).substr(0, colon), text);
  const double hi = parse_number(std::string_view(text).substr(colon + 1), text);
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw UsageError("--range: LO and HI must be finite numbers, got '" + text + "'");
  if (!(lo < hi)) throw UsageError("--range: LO must be less than HI, got '" + text + "'");
  return {lo, hi};
}

HistogramPartial::HistogramPartial(std::uint64_t cols, std::uint64_t bins)
    : cols_(cols), bins_(bins), cells_(cols * (bins + 4)) {}

void HistogramPartial::combine(const Partial& right) {
  const auto& other = static_cast<const HistogramPartial&>(right);
  if (other.cols_ != cols_ || other.bins_ != bins_)
    throw RuntimeError("corrupt partial: histograms of different shapes");
  for (std::size_t i = 0; i < cells_.size(); ++i) cells_[i] += other.cells_[i];
}

void HistogramPartial::encode(Encoder& out) const {
  out.put(cols_);
  out.put(bins_);
  out.put_bytes(cells_.data(), cells_.size() * sizeof(std::uint64_t));
}

PartialPtr HistogramPartial::decode(Decoder& in) {
  const auto cols = in.get<std::uint64_t>();
  const auto bins = in.get<std::uint64_t>();
  const std::uint64_t cells = in.remaining() / sizeof(std::uint64_t);
  if (bins > cells || cols > cells / (bins + 4))
    throw RuntimeError("corrupt partial: more histogram cells than bytes");
  auto partial = std::make_unique<HistogramPartial>(cols, bins);
  in.get_bytes(partial->cells_.data(), partial->cells_.size() * sizeof(std::uint64_t));
  return partial;
}

void HistogramPartial::add_block(const Block& block, const Binning& binning,
                                 const MissingValues& missing) {
  const std::uint64_t under = bins_, over = bins_ + 1, nan = bins_ + 2, absent = bins_ + 3;
  visit_element_type(block.type, [&](auto tag) {
    using T = decltype(tag);
    const T* data = static_cast<const T*>(block.data);
    for (std::uint64_t row = 0; row < block.rows; ++row) {
      for (std::uint64_t c = 0; c < cols_; ++c) {
        const T raw = data[row * cols_ + c];
        const double v = static_cast<double>(raw);
        std::uint64_t* cells = cells_.data() + c * stride();
        if (!missing.empty() && missing.contains(raw)) {
          ++cells[absent];
        } else if (std::isnan(v)) {
          ++cells[nan];
        } else if (v < binning.lo()) {
          ++cells[under];
        } else if (v > binning.hi()) {
          ++cells[over];
        } else {
          ++cells[binning.bin(v)];
        }
      }
    }
  });
}

void HistogramJob::add_options(Options& options) {
  options
      .add("--input", input_,
           "Dataset to count, FILE.h5:/path (any rank, integer or float; FILE may be a glob, a "
           "directory or @list.txt; /table#field picks fields of a compound table)")
      .required();
  options.add("--bins", bins_, "Number of equal bins").show_default().range(1, 1 << 24);
  options
      .add("--range", range_,
           "LO:HI, the range the bins cover (values outside count as "
           "underflow/overflow)")
      .required();
  values_.add(options, "One histogram");
}

std::string HistogramJob::parameters() const {
  return "input=" + input_ + ";bins=" + std::to_string(bins_) + ";range=" + range_ +
         values_.parameters();
}

DomainSpec HistogramJob::domain() const {
  binning();  // validates --range before any input is opened
  return DatasetDomain{input_};
}

void HistogramJob::prepare(const InputInfo& input) {
  input_info_ = input;
  values_.prepare(input, input_);
  // Every shard in flight holds a partial of this many cells.
  const std::uint64_t cols = values_.columns(input);
  if (cols > kMaxCells / (bins_ + 4))
    throw UsageError(
        "--bins: " + std::to_string(bins_) + " bins for each of the " + std::to_string(cols) +
        " values in a row of " + input_ + " make " + "more than " + std::to_string(kMaxCells) +
        " counters a shard; use --all for one histogram of every value, or fewer bins");
}

Binning HistogramJob::binning() const {
  const auto [lo, hi] = parse_range(range_);
  return Binning(bins_, lo, hi);
}

PartialPtr HistogramJob::process(ShardContext& ctx) const {
  const Binning bins = binning();
  auto partial = std::make_unique<HistogramPartial>(values_.columns(input_info_), bins_);
  ctx.for_each_block([&](const Block& block) {
    partial->add_block(values_.view(block), bins, values_.missing());
  });
  return partial;
}

std::string HistogramJob::finalize(const Partial& total, ResultWriter& out) const {
  const auto& h = static_cast<const HistogramPartial&>(total);
  const Binning bins = binning();
  const std::uint64_t cols = h.cols();
  std::vector<std::uint64_t> counts, under, over, nan, missing;
  for (std::uint64_t c = 0; c < cols; ++c) {
    const std::uint64_t* cells = h.cells().data() + c * h.stride();
    counts.insert(counts.end(), cells, cells + bins_);
    under.push_back(cells[bins_]);
    over.push_back(cells[bins_ + 1]);
    nan.push_back(cells[bins_ + 2]);
    missing.push_back(cells[bins_ + 3]);
  }
  // Per element of a row, in the row's shape (scalars with --all); counts
  // add the bins as a last axis.
  const std::vector<std::uint64_t> per_column =
      values_.all() ? std::vector<std::uint64_t>{} : input_info_.row_shape();
  std::vector<std::uint64_t> counts_dims = per_column;
  counts_dims.push_back(bins_);
  out.write<std::uint64_t>("counts", counts, counts_dims);
  out.write<double>("edges", bins.edges(), {bins_ + 1});
  out.write<std::uint64_t>("underflow", under, per_column);
  out.write<std::uint64_t>("overflow", over, per_column);
  out.write<std::uint64_t>("nan_count", nan, per_column);
  out.write<std::uint64_t>("missing_count", missing, per_column);

  const auto peak = std::max_element(counts.begin(), counts.begin() + static_cast<long>(bins_));
  char line[200];
  std::snprintf(
      line, sizeof line,
      "%s%llu bins, fullest bin %lld [%g, %g) with %llu, underflow %llu, overflow %llu, nan %llu",
      cols > 1 ? "column 0: " : "", static_cast<unsigned long long>(bins_),
      static_cast<long long>(peak - counts.begin()), bins.edges()[peak - counts.begin()],
      bins.edges()[peak - counts.begin() + 1], static_cast<unsigned long long>(*peak),
      static_cast<unsigned long long>(under[0]), static_cast<unsigned long long>(over[0]),
      static_cast<unsigned long long>(nan[0]));
  return line;
}

}  // namespace shardrun::jobs
