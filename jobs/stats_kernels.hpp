// The inner loops of the `stats` job: the statistics of one chunk of values.
#pragma once

#include <cstddef>

#include "stats.hpp"

namespace shardrun::jobs {

// Values per chunk: small enough that a chunk stays in L1 (32 KiB of
// doubles) when it has to be read a second time, large enough that the
// per-chunk reductions cost little.
inline constexpr std::size_t kStatsChunk = 4096;

// The vector instructions a contiguous float chunk runs on. Every level gives
// the same bits: lanes take fixed elements and reduce in a fixed order.
enum class SimdLevel { sse2, avx2, avx512 };

// The best level this CPU has, capped by SHARDRUN_SIMD=sse2|avx2 if set.
SimdLevel simd_level();
// Whether this CPU can run `level` (for tests that compare the levels).
bool simd_supported(SimdLevel level);

// Statistics of the n values p[0], p[stride], p[2 * stride], …
template <class T>
ColumnStats chunk_stats(const T* p, std::size_t n, std::size_t stride);

// The contiguous float case at a given level (which the CPU must support).
template <class T>
ColumnStats contiguous_float_stats(const T* p, std::size_t n, SimdLevel level);

}  // namespace shardrun::jobs
