#include "stats.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_reduce.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace shardrun::jobs {
namespace {

// Values per two-pass chunk: small enough to stay in L1 between the passes.
constexpr std::size_t kChunk = 2048;
// Independent accumulators: the compiler keeps them in vector registers and
// never has to reassociate a floating-point sum, so the bits stay fixed.
constexpr std::size_t kLanes = 8;

// Float statistics of n values at p[0], p[stride], …: a first pass for count,
// sum, min and max, a second for the squared deviations from the chunk's
// mean. Stride is a template parameter so the contiguous case (1) vectorises.
template <std::size_t kStride, class T>
ColumnStats float_chunk(const T* p, std::size_t n, std::size_t stride) {
  if constexpr (kStride != 0) stride = kStride;
  ColumnStats out;
  double sum[kLanes] = {}, count[kLanes] = {}, lo[kLanes], hi[kLanes];
  std::fill(lo, lo + kLanes, out.float_min);
  std::fill(hi, hi + kLanes, out.float_max);
  auto first_pass = [&](std::size_t lane, double v) {
    const bool number = v == v;  // false for NaN
    sum[lane] += number ? v : 0.0;
    count[lane] += number ? 1.0 : 0.0;
    lo[lane] = v < lo[lane] ? v : lo[lane];  // NaN compares false: skipped
    hi[lane] = v > hi[lane] ? v : hi[lane];
  };
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (std::size_t l = 0; l < kLanes; ++l)
      first_pass(l, static_cast<double>(p[(i + l) * stride]));
  for (std::size_t l = 0; i + l < n; ++l) first_pass(l, static_cast<double>(p[(i + l) * stride]));
  double total = 0;
  for (std::size_t l = 0; l < kLanes; ++l) {
    out.float_sum += sum[l];
    total += count[l];
    out.float_min = std::min(out.float_min, lo[l]);
    out.float_max = std::max(out.float_max, hi[l]);
  }
  out.count = static_cast<std::uint64_t>(total);
  out.nan_count = n - out.count;
  if (out.count == 0) return out;
  out.mean = out.float_sum / total;

  double m2[kLanes] = {};
  auto second_pass = [&](std::size_t lane, double v) {
    const double d = v == v ? v - out.mean : 0.0;
    m2[lane] += d * d;
  };
  for (i = 0; i + kLanes <= n; i += kLanes)
    for (std::size_t l = 0; l < kLanes; ++l)
      second_pass(l, static_cast<double>(p[(i + l) * stride]));
  for (std::size_t l = 0; i + l < n; ++l) second_pass(l, static_cast<double>(p[(i + l) * stride]));
  for (double part : m2) out.m2 += part;
  return out;
}

// Integers: exact 128-bit sum, min and max in the input's type, no NaNs.
template <class T>
ColumnStats integer_chunk(const T* p, std::size_t n, std::size_t stride) {
  ColumnStats out;
  Int128 sum = 0;
  T lo = p[0], hi = p[0];
  for (std::size_t i = 0; i < n; ++i) {
    const T v = p[i * stride];
    sum += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  out.count = n;
  out.int_sum = sum;
  out.int_min = lo;
  out.int_max = hi;
  out.mean = static_cast<double>(sum) / static_cast<double>(n);
  double m2[kLanes] = {};
  for (std::size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(p[i * stride]) - out.mean;
    m2[i % kLanes] += d * d;
  }
  for (double part : m2) out.m2 += part;
  return out;
}

// The contiguous float case, which is most of the data, in explicit SIMD
// vectors (GCC/Clang vector extensions) of W doubles: W = 2 (SSE2, every
// x86-64) or W = 4 (AVX2, chosen at run time where the CPU has it). Either way
// there are 8 lanes, lane l gets elements 8k + l, and lanes are reduced in
// order 0..7, so both widths give the same bits (no FMA: -ffp-contract=off).
template <int W>
struct Simd;
template <>
struct Simd<2> {
  using Vec = double __attribute__((vector_size(16)));
  using Mask = std::int64_t __attribute__((vector_size(16)));
  using Narrow = float __attribute__((vector_size(8)));
};
template <>
struct Simd<4> {
  using Vec = double __attribute__((vector_size(32)));
  using Mask = std::int64_t __attribute__((vector_size(32)));
  using Narrow = float __attribute__((vector_size(16)));
};

template <int W, class T>
[[gnu::always_inline]] inline typename Simd<W>::Vec load(const T* p) {
  typename Simd<W>::Vec v;
  if constexpr (std::is_same_v<T, double>) {
    std::memcpy(&v, p, sizeof v);
  } else {
    typename Simd<W>::Narrow narrow;
    std::memcpy(&narrow, p, sizeof narrow);
    v = __builtin_convertvector(narrow, typename Simd<W>::Vec);
  }
  return v;
}

// Both passes over n values, n a multiple of 8. Without kMaskNaN it assumes
// there is no NaN (a NaN then shows as a NaN sum, and the caller reruns).
template <int W, bool kMaskNaN, class T>
[[gnu::always_inline]] inline ColumnStats vector_chunk(const T* p, std::size_t n) {
  using Vec = typename Simd<W>::Vec;
  using Mask = typename Simd<W>::Mask;
  constexpr int kAcc = 8 / W;
  const Vec zero{}, one = zero + 1.0, inf = zero + std::numeric_limits<double>::infinity();
  Vec sum[kAcc], count[kAcc], lo[kAcc], hi[kAcc], m2[kAcc];
  for (int a = 0; a < kAcc; ++a) {
    sum[a] = count[a] = m2[a] = zero;
    lo[a] = inf;
    hi[a] = -inf;
  }
  for (std::size_t i = 0; i < n; i += 8) {
    for (int a = 0; a < kAcc; ++a) {
      const Vec v = load<W>(p + i + W * a);
      if constexpr (kMaskNaN) {
        const Mask number = v == v;  // all ones except for NaN
        sum[a] += (Vec)((Mask)v & number);
        count[a] += (Vec)((Mask)one & number);
      } else {
        sum[a] += v;
      }
      lo[a] = v < lo[a] ? v : lo[a];  // NaN compares false: skipped
      hi[a] = v > hi[a] ? v : hi[a];
    }
  }
  ColumnStats out;
  double total = 0;
  for (int a = 0; a < kAcc; ++a) {
    for (int j = 0; j < W; ++j) {
      out.float_sum += sum[a][j];
      total += count[a][j];
      out.float_min = std::min(out.float_min, lo[a][j]);
      out.float_max = std::max(out.float_max, hi[a][j]);
    }
  }
  if constexpr (!kMaskNaN) total = static_cast<double>(n);
  out.count = static_cast<std::uint64_t>(total);
  out.nan_count = n - out.count;
  if (out.count == 0) return out;
  out.mean = out.float_sum / total;
  const Vec mean = zero + out.mean;
  for (std::size_t i = 0; i < n; i += 8) {
    for (int a = 0; a < kAcc; ++a) {
      const Vec v = load<W>(p + i + W * a);
      Vec d = v - mean;
      if constexpr (kMaskNaN) d = (Vec)((Mask)d & (v == v));
      m2[a] += d * d;
    }
  }
  for (int a = 0; a < kAcc; ++a)
    for (int j = 0; j < W; ++j) out.m2 += m2[a][j];
  return out;
}

template <int W, class T>
[[gnu::always_inline]] inline ColumnStats contiguous_chunk(const T* p, std::size_t n) {
  const std::size_t vector_end = n - n % 8;
  ColumnStats out = vector_chunk<W, false>(p, vector_end);
  if (out.float_sum != out.float_sum) out = vector_chunk<W, true>(p, vector_end);  // NaN seen
  if (vector_end < n) out.merge(float_chunk<1>(p + vector_end, n - vector_end, 1), false);
  return out;
}

template <class T>
ColumnStats contiguous_chunk_sse2(const T* p, std::size_t n) {
  return contiguous_chunk<2>(p, n);
}

#if defined(__x86_64__)
template <class T>
[[gnu::target("avx2")]] ColumnStats contiguous_chunk_avx2(const T* p, std::size_t n) {
  return contiguous_chunk<4>(p, n);
}

// AVX2 when the CPU has it, unless SHARDRUN_SIMD=sse2 asks for the portable path.
bool use_avx2() {
  static const bool avx2 = [] {
    const char* simd = std::getenv("SHARDRUN_SIMD");
    return __builtin_cpu_supports("avx2") && !(simd && std::string(simd) == "sse2");
  }();
  return avx2;
}
#endif

template <class T>
ColumnStats contiguous_float_chunk(const T* p, std::size_t n) {
#if defined(__x86_64__)
  if (use_avx2()) return contiguous_chunk_avx2(p, n);
#endif
  return contiguous_chunk_sse2(p, n);
}

template <class T>
ColumnStats chunk_stats(const T* p, std::size_t n, std::size_t stride) {
  if constexpr (std::is_floating_point_v<T>) {
    return stride == 1 ? contiguous_float_chunk(p, n) : float_chunk<0>(p, n, stride);
  } else {
    return integer_chunk(p, n, stride);
  }
}

}  // namespace

void ColumnStats::merge(const ColumnStats& right, bool integer) {
  nan_count += right.nan_count;
  if (right.count == 0) return;
  if (count == 0) {
    const std::uint64_t nans = nan_count;
    *this = right;
    nan_count = nans;
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
    int_sum += right.int_sum;
    int_min = std::min(int_min, right.int_min);
    int_max = std::max(int_max, right.int_max);
  } else {
    float_sum += right.float_sum;
    float_min = std::min(float_min, right.float_min);
    float_max = std::max(float_max, right.float_max);
  }
}

void StatsPartial::combine(const Partial& right) {
  const auto& other = static_cast<const StatsPartial&>(right);
  for (std::size_t c = 0; c < columns_.size(); ++c) columns_[c].merge(other.columns_[c], integer_);
}

void StatsPartial::encode(Encoder& out) const {
  out.put<std::uint8_t>(integer_);
  out.put<std::uint64_t>(columns_.size());
  // Field by field: the struct has padding, whose bytes are unspecified.
  for (const ColumnStats& c : columns_) {
    out.put(c.count);
    out.put(c.nan_count);
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
  auto partial = std::make_unique<StatsPartial>(cols, integer);
  for (ColumnStats& c : partial->columns_) {
    c.count = in.get<std::uint64_t>();
    c.nan_count = in.get<std::uint64_t>();
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

void StatsPartial::add_block(const Block& block) {
  visit_element_type(block.type, [&](auto tag) {
    using T = decltype(tag);
    const T* data = static_cast<const T*>(block.data);
    const std::size_t cols = block.cols;
    const std::size_t rows_per_chunk = std::max<std::size_t>(1, kChunk / cols);
    for (std::size_t row = 0; row < block.rows; row += rows_per_chunk) {
      const std::size_t rows = std::min<std::size_t>(rows_per_chunk, block.rows - row);
      for (std::size_t c = 0; c < cols; ++c)
        columns_[c].merge(chunk_stats(data + row * cols + c, rows, cols), integer_);
    }
  });
}

void StatsJob::add_options(CLI::App& app) {
  app.add_option("--input", input_,
                 "Dataset to summarise, FILE.h5:/path (1-D or 2-D, integer or float)")
      ->required();
}

std::string StatsJob::parameters() const { return "input=" + input_; }

PartialPtr StatsJob::process(ShardContext& ctx) const {
  const bool integer = is_integer(input_info_.type);
  auto total = std::make_unique<StatsPartial>(input_info_.cols, integer);
  ctx.for_each_block([&](const Block& block) {
    // Pieces of a fixed size, independent of the thread count, that idle TBB
    // threads may take; they join in a fixed tree, so the bits never change.
    const std::size_t grain = std::max<std::size_t>(1, 8 * kChunk / block.cols);
    const std::size_t item = element_size(block.type) * block.cols;
    StatsPartial sum = tbb::parallel_deterministic_reduce(
        tbb::blocked_range<std::size_t>(0, block.rows, grain), StatsPartial(block.cols, integer),
        [&](const tbb::blocked_range<std::size_t>& r, StatsPartial acc) {
          Block piece = block;
          piece.data = static_cast<const char*>(block.data) + r.begin() * item;
          piece.first_row = block.first_row + r.begin();
          piece.rows = r.size();
          acc.add_block(piece);
          return acc;
        },
        [](StatsPartial left, const StatsPartial& right) {
          left.combine(right);
          return left;
        });
    total->combine(sum);
  });
  return total;
}

std::string StatsJob::finalize(const Partial& total, ResultWriter& out) const {
  const auto& stats = static_cast<const StatsPartial&>(total);
  const auto& columns = stats.columns();
  const std::size_t cols = columns.size();
  const std::vector<std::uint64_t> dims =
      input_info_.rank == 1 ? std::vector<std::uint64_t>{} : std::vector<std::uint64_t>{cols};
  const double nan = std::numeric_limits<double>::quiet_NaN();

  std::vector<std::uint64_t> count(cols), nan_count(cols);
  std::vector<double> mean(cols), variance(cols), float_sum(cols);
  for (std::size_t c = 0; c < cols; ++c) {
    const ColumnStats& s = columns[c];
    count[c] = s.count;
    nan_count[c] = s.nan_count;
    mean[c] = s.count ? s.mean : nan;
    variance[c] = s.count ? s.m2 / static_cast<double>(s.count) : nan;
    float_sum[c] = stats.integer() ? static_cast<double>(s.int_sum) : s.float_sum;
  }
  out.write<std::uint64_t>("count", count, dims);
  out.write<std::uint64_t>("nan_count", nan_count, dims);
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
      line, sizeof line, "%scount %llu, mean %.10g, std %.10g, min %.10g, max %.10g, nan %llu%s",
      cols > 1 ? "column 0: " : "", static_cast<unsigned long long>(s.count), mean[0],
      std::sqrt(variance[0]), s.count ? lo : nan, s.count ? hi : nan,
      static_cast<unsigned long long>(s.nan_count),
      cols > 1 ? (" (+" + std::to_string(cols - 1) + " columns in the output)").c_str() : "");
  return line;
}

}  // namespace shardrun::jobs
