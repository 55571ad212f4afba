// mem_ceiling BYTES THREADS
//
// The memory-bandwidth ceiling at a given parallelism: THREADS threads each
// sum their contiguous 1/THREADS of an in-memory array of BYTES bytes of
// doubles (SSE2, 8 independent partial sums), after one untimed pass that
// faults every page in. A job that streams that many bytes from memory
// cannot beat it. Prints one line:
//   seconds=<s> bytes=<n> gbps=<x>
// Exit status: 0 done, 2 usage error.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

volatile double g_sink = 0;  // keeps the sums observable

// Eight independent 2-wide SSE2 accumulators: enough loads in flight that
// memory, not the add latency, sets the pace.
using v2 = double __attribute__((vector_size(16)));

double sum_range(const double* p, std::size_t n) {
  v2 acc[8] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 8; ++k) {
      v2 v;
      __builtin_memcpy(&v, p + i + 2 * k, sizeof v);
      acc[k] += v;
    }
  double s = 0;
  for (const v2& a : acc) s += a[0] + a[1];
  for (; i < n; ++i) s += p[i];
  return s;
}

double parallel_sum(const std::vector<double>& data, int threads) {
  std::vector<double> sums(static_cast<std::size_t>(threads), 0);
  std::vector<std::thread> pool;
  const std::size_t per = data.size() / static_cast<std::size_t>(threads);
  for (int t = 0; t < threads; ++t) {
    const std::size_t begin = per * static_cast<std::size_t>(t);
    const std::size_t end = t + 1 == threads ? data.size() : begin + per;
    pool.emplace_back([&, t, begin, end] {
      sums[static_cast<std::size_t>(t)] = sum_range(data.data() + begin, end - begin);
    });
  }
  for (auto& th : pool) th.join();
  double total = 0;
  for (double s : sums) total += s;
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: mem_ceiling BYTES THREADS\n");
    return 2;
  }
  const std::uint64_t bytes = std::strtoull(argv[1], nullptr, 10);
  const int threads = std::atoi(argv[2]);
  if (bytes < sizeof(double) || threads < 1) {
    std::fprintf(stderr, "mem_ceiling: BYTES must be >= 8 and THREADS >= 1\n");
    return 2;
  }
  std::vector<double> data(bytes / sizeof(double), 1.0);
  g_sink = parallel_sum(data, threads);  // pages in, caches warm as they can be
  const auto start = std::chrono::steady_clock::now();
  g_sink = parallel_sum(data, threads);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t used = data.size() * sizeof(double);
  std::printf("seconds=%.6f bytes=%llu gbps=%.4f\n", seconds, static_cast<unsigned long long>(used),
              static_cast<double>(used) / seconds / 1e9);
  return 0;
}
