// The costs the steal protocol pays, measured with shardrun's own MPI
// wrappers: a one-sided load, fetch-and-add and compare-and-swap on rank 0's
// window (each with its flush), from rank 1, while rank 0 is
//   idle:  inside MPI, polling (Comm::poke) as fast as it can, or
//   busy:  computing, entering MPI only every POLL_US microseconds,
// and the same operations on one's own window, and one poke.
//   mpirun -n 2 osc_latency [POLL_US]      (default 200, shardrun's poll interval)
// Prints one line per measurement: name, median µs, 90th percentile µs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mpi/atomic_window.hpp"
#include "mpi/comm.hpp"
#include "mpi/mpi_env.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace mpi = shardrun::mpi;

double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

void report(const char* name, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  std::printf("%-34s %9.2f %9.2f\n", name, samples[samples.size() / 2],
              samples[samples.size() * 9 / 10]);
}

// Rank 1 times `op` `count` times; rank 0 meanwhile idles in MPI or
// computes, entering MPI every poll_us, until rank 1 says it is done.
template <class Op>
void measure(const char* name, mpi::Comm& comm, mpi::AtomicWindow& flag, bool busy, int poll_us,
             int count, Op op) {
  comm.barrier();
  if (comm.rank() == 0) {
    while (flag.load(0, 1) == 0) {
      if (busy) {
        const auto until = Clock::now() + std::chrono::microseconds(poll_us);
        volatile double x = 1;
        while (Clock::now() < until) x = x * 1.0000001;
      }
      comm.poke();
    }
    flag.fetch_add(0, 1, ~std::uint64_t{0});  // back to 0
  } else if (comm.rank() == 1) {
    std::vector<double> samples;
    for (int i = 0; i < count; ++i) {
      const auto t = Clock::now();
      op();
      samples.push_back(us_since(t));
    }
    report(name, samples);
    flag.fetch_add(0, 1, 1);
  }
  comm.barrier();
}

}  // namespace

int main(int argc, char** argv) {
  mpi::Environment env(argc, argv);
  mpi::Comm comm;
  const int poll_us = argc > 1 ? std::atoi(argv[1]) : 200;
  if (comm.size() < 2) {
    std::fprintf(stderr, "osc_latency: run on 2 ranks (mpirun -n 2)\n");
    return 2;
  }
  if (comm.rank() == 0)
    std::printf("# %d nodes, one-sided: %s; rank 0 busy polls every %d us\n# %-32s %9s %9s\n",
                mpi::Environment::transport().nodes,
                mpi::Environment::transport().one_sided.c_str(), poll_us, "operation", "median_us",
                "p90_us");
  std::fflush(stdout);
  mpi::AtomicWindow window(comm, 4);
  mpi::AtomicWindow flag(comm, 2);
  const int n = 2000;
  for (bool busy : {false, true}) {
    const std::string when = busy ? ", target busy" : ", target idle";
    measure(("load rank 0" + when).c_str(), comm, flag, busy, poll_us, n,
            [&] { window.load(0, 0); });
    measure(("fetch_add rank 0" + when).c_str(), comm, flag, busy, poll_us, n,
            [&] { window.fetch_add(0, 0, 1); });
    measure(("compare_and_swap rank 0" + when).c_str(), comm, flag, busy, poll_us, n,
            [&] { window.compare_and_swap(0, 0, 0, 0); });
  }
  measure("load own window", comm, flag, false, poll_us, n, [&] { window.load(1, 0); });
  measure("compare_and_swap own window", comm, flag, false, poll_us, n,
          [&] { window.compare_and_swap(1, 0, 0, 0); });
  measure("poke (MPI_Iprobe)", comm, flag, false, poll_us, n, [&] { comm.poke(); });
  return 0;
}
