#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "stats_kernels.hpp"
#include "stats_wide.hpp"

namespace shardrun::jobs {

void ColumnStats::merge(const ColumnStats& right, bool integer) {
  nan_count += right.nan_count;
  missing_count += right.missing_count;
  if (right.count == 0) return;
  if (count == 0) {
    const std::uint64_t nans = nan_count, missing = missing_count;
    *this = right;
    nan_count = nans;
    missing_count = missing;
    return;
  }
  const double na = static_cast<double>(count);
  const double nb = static_cast<double>(right.count);
  const double n = na + nb;
  const double delta = right.mean - mean;
  mean += delta * (nb / n);
  m2 += right.m2 + delta * delta * (na * nb / n);
  count += right.count;
  if (integer) {
    // Real data cannot reach 2^127 (it would take 2^63 rows of the largest
    // uint64); a crafted partial can, and signed overflow is undefined.
    if (__builtin_add_overflow(int_sum, right.int_sum, &int_sum))
      throw RuntimeError("corrupt partial: an integer sum beyond 128 bits");
    int_min = std::min(int_min, right.int_min);
    int_max = std::max(int_max, right.int_max);
  } else {
    float_sum += right.float_sum;
    float_min = std::min(float_min, right.float_min);
    float_max = std::max(float_max, right.float_max);
  }
}

StatsPartial::StatsPartial(std::uint64_t cols, bool integer) : integer_(integer), columns_(cols) {}
StatsPartial::~StatsPartial() = default;

void StatsPartial::combine(const Partial& right) {
  const auto& other = static_cast<const StatsPartial&>(right);
  if (other.columns_.size() != columns_.size() || other.integer_ != integer_)
    throw RuntimeError("corrupt partial: stats of different columns");
  for (std::size_t c = 0; c < columns_.size(); ++c) columns_[c].merge(other.columns_[c], integer_);
}

void StatsPartial::encode(Encoder& out) const {
  out.put<std::uint8_t>(integer_);
  out.put<std::uint64_t>(columns_.size());
  // Field by field: the struct has padding, whose bytes are unspecified.
  for (const ColumnStats& c : columns_) {
    out.put(c.count);
    out.put(c.nan_count);
    out.put(c.missing_count);
    out.put(c.mean);
    out.put(c.m2);
    out.put(c.float_sum);
    out.put(c.float_min);
    out.put(c.float_max);
    out.put(c.int_sum);
    out.put(c.int_min);
    out.put(c.int_max);
  }
}

PartialPtr StatsPartial::decode(Decoder& in) {
  const bool integer = in.get<std::uint8_t>() != 0;
  const auto cols = in.get<std::uint64_t>();
  constexpr std::size_t kColumnBytes = 8 * sizeof(double) + 3 * sizeof(Int128);
  if (cols > in.remaining() / kColumnBytes)
    throw RuntimeError("corrupt partial: more stats columns than bytes");
  auto partial = std::make_unique<StatsPartial>(cols, integer);
  for (ColumnStats& c : partial->columns_) {
    c.count = in.get<std::uint64_t>();
    c.nan_count = in.get<std::uint64_t>();
    c.missing_count = in.get<std::uint64_t>();
    c.mean = in.get<double>();
    c.m2 = in.get<double>();
    c.float_sum = in.get<double>();
    c.float_min = in.get<double>();
    c.float_max = in.get<double>();
    c.int_sum = in.get<Int128>();
    c.int_min = in.get<Int128>();
    c.int_max = in.get<Int128>();
  }
  return partial;
}

void StatsPartial::add_block(const Block& block, const MissingValues& missing) {
  const std::size_t cols = block.cols;
  if (cols > kWideRow) {
    if (!wide_) wide_ = std::make_unique<WideStats>(cols, integer_);
    wide_->add_rows(block, missing);
    return;
  }
  visit_element_type(block.type, [&](auto tag) {
    using T = decltype(tag);
    const T* data = static_cast<const T*>(block.data);
    const std::size_t rows_per_chunk = std::max<std::size_t>(1, kStatsChunk / cols);
    static thread_local std::vector<T> kept;  // a chunk's values of one column that are not missing
    for (std::size_t row = 0; row < block.rows; row += rows_per_chunk) {
      const std::size_t rows = std::min<std::size_t>(rows_per_chunk, block.rows - row);
      for (std::size_t c = 0; c < cols; ++c) {
        const T* column = data + row * cols + c;
        if (missing.empty()) {
          columns_[c].merge(chunk_stats(column, rows, cols), integer_);
          continue;
        }
        kept.clear();
        for (std::size_t i = 0; i < rows; ++i)
          if (!missing.contains(column[i * cols])) kept.push_back(column[i * cols]);
        ColumnStats s = kept.empty() ? ColumnStats{} : chunk_stats(kept.data(), kept.size(), 1);
        s.missing_count = rows - kept.size();
        columns_[c].merge(s, integer_);
      }
    }
  });
}

void StatsPartial::finish() {
  if (!wide_) return;
  wide_->merge_into(columns_);
  wide_.reset();
}

void StatsJob::add_options(Options& options) {
  options
      .add("--input", input_,
           "Dataset to summarise, FILE.h5:/path (any rank, integer or float; FILE may be a glob, "
           "a directory or @list.txt; /table#field picks fields of a compound table)")
      .required();
  values_.add(options, "One figure");
}

std::string StatsJob::parameters() const { return "input=" + input_ + values_.parameters(); }

void StatsJob::prepare(const InputInfo& input) {
  input_info_ = input;
  values_.prepare(input, input_);
}

PartialPtr StatsJob::process(ShardContext& ctx) const {
  const bool integer = is_integer(input_info_.type);
  auto total = std::make_unique<StatsPartial>(values_.columns(input_info_), integer);
  // Blocks run one after another on the shard's thread: the computation is a
  // small part of a block's read, so handing pieces of it to other threads
  // gains little and moves the block between cores' caches.
  ctx.for_each_block(
      [&](const Block& block) { total->add_block(values_.view(block), values_.missing()); });
  total->finish();
  return total;
}

std::string StatsJob::finalize(const Partial& total, ResultWriter& out) const {
  const auto& stats = static_cast<const StatsPartial&>(total);
  const auto& columns = stats.columns();
  const std::size_t cols = columns.size();
  // One figure per element of a row, in the row's shape; scalars for --all.
  const std::vector<std::uint64_t> dims =
      values_.all() ? std::vector<std::uint64_t>{} : input_info_.row_shape();
  const double nan = std::numeric_limits<double>::quiet_NaN();

  std::vector<std::uint64_t> count(cols), nan_count(cols), missing_count(cols);
  std::vector<double> mean(cols), variance(cols), float_sum(cols);
  for (std::size_t c = 0; c < cols; ++c) {
    const ColumnStats& s = columns[c];
    count[c] = s.count;
    nan_count[c] = s.nan_count;
    missing_count[c] = s.missing_count;
    mean[c] = s.count ? s.mean : nan;
    variance[c] = s.count ? s.m2 / static_cast<double>(s.count) : nan;
    float_sum[c] = stats.integer() ? static_cast<double>(s.int_sum) : s.float_sum;
  }
  out.write<std::uint64_t>("count", count, dims);
  out.write<std::uint64_t>("nan_count", nan_count, dims);
  out.write<std::uint64_t>("missing_count", missing_count, dims);
  out.write<double>("mean", mean, dims);
  out.write<double>("variance", variance, dims);

  // Integer sums are exact: int64 when every column fits, else float64 rounded once.
  const bool sums_fit = std::all_of(columns.begin(), columns.end(), [](const ColumnStats& s) {
    return s.int_sum >= std::numeric_limits<std::int64_t>::min() &&
           s.int_sum <= std::numeric_limits<std::int64_t>::max();
  });
  if (stats.integer() && sums_fit) {
    std::vector<std::int64_t> sum(cols);
    for (std::size_t c = 0; c < cols; ++c) sum[c] = static_cast<std::int64_t>(columns[c].int_sum);
    out.write<std::int64_t>("sum", sum, dims);
  } else {
    out.write<double>("sum", float_sum, dims);
  }

  // min and max keep the input's type, as numpy's do.
  visit_element_type(input_info_.type, [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> lo(cols), hi(cols);
    for (std::size_t c = 0; c < cols; ++c) {
      const ColumnStats& s = columns[c];
      if constexpr (std::is_floating_point_v<T>) {
        lo[c] = static_cast<T>(s.count ? s.float_min : nan);
        hi[c] = static_cast<T>(s.count ? s.float_max : nan);
      } else {
        lo[c] = static_cast<T>(s.int_min);
        hi[c] = static_cast<T>(s.int_max);
      }
    }
    out.write<T>("min", lo, dims);
    out.write<T>("max", hi, dims);
  });

  char line[200];
  const ColumnStats& s = columns[0];
  const double lo = stats.integer() ? static_cast<double>(s.int_min) : s.float_min;
  const double hi = stats.integer() ? static_cast<double>(s.int_max) : s.float_max;
  std::snprintf(
      line, sizeof line, "%scount %llu, mean %.10g, std %.10g, min %.10g, max %.10g, nan %llu%s%s",
      cols > 1 ? (input_info_.rank == 2 ? "column 0: " : "element 0: ") : "",
      static_cast<unsigned long long>(s.count), mean[0], std::sqrt(variance[0]), s.count ? lo : nan,
      s.count ? hi : nan, static_cast<unsigned long long>(s.nan_count),
      values_.missing().empty() ? "" : (", missing " + std::to_string(s.missing_count)).c_str(),
      cols > 1 ? (" (+" + std::to_string(cols - 1) +
                  (input_info_.rank == 2 ? " columns" : " elements") + " in the output)")
                     .c_str()
               : "");
  return line;
}

}  // namespace shardrun::jobs
