// read_ceiling FILE.h5:/path THREADS
//
// The page-cache read ceiling for one dataset: THREADS threads each pread()
// their contiguous 1/THREADS of the dataset's raw bytes in reads of shardrun's
// block size (io::kReadBlockBytes) into a
// buffer of their own that they reuse, and touch nothing else (one byte per
// read is summed so that nothing can be optimised away). This is what shardrun's
// raw read path does minus the computation, so shardrun at the same parallelism
// can approach it but not beat it. Prints one line:
//   seconds=<s> bytes=<n> gbps=<x>
// Needs a contiguous, unfiltered, native-order dataset (what `shardrun gen`
// writes by default). Exit status: 0 done, 1 runtime error, 2 usage error.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "h5/h5_error.hpp"
#include "io/dataset_reader.hpp"
#include "io/dataset_ref.hpp"
#include "shardrun/errors.hpp"

namespace {

using shardrun::RuntimeError;
using shardrun::UsageError;

constexpr std::uint64_t kReadBytes = shardrun::io::kReadBlockBytes;  // shardrun's reads

// Written once at the end so the per-read byte sums are observable.
volatile std::uint64_t g_sink = 0;

struct Extent {
  std::uint64_t offset = 0;  // of the first raw byte in the file
  std::uint64_t bytes = 0;
};

Extent raw_extent(const shardrun::io::DatasetRef& ref) {
  // The reader checks the file and dataset as `shardrun run` does.
  const shardrun::io::DatasetReader reader(ref, "dataset");
  if (!reader.raw_offset())
    throw UsageError(ref.text() +
                     " is not stored as contiguous native bytes (chunked, compressed or "
                     "big-endian): a pread ceiling does not apply");
  return {*reader.raw_offset(), reader.info().rows * reader.row_bytes()};
}

// Reads [offset, offset+bytes) of fd in kReadBytes reads into buffer; returns
// the sum of the first byte of every read.
std::uint64_t read_range(int fd, std::uint64_t offset, std::uint64_t bytes, std::byte* buffer) {
  std::uint64_t sum = 0;
  while (bytes > 0) {
    const std::uint64_t want = bytes < kReadBytes ? bytes : kReadBytes;
    const ssize_t got = ::pread(fd, buffer, want, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw RuntimeError("pread at byte " + std::to_string(offset) + ": " +
                         (got == 0 ? "unexpected end of file" : std::strerror(errno)));
    sum += static_cast<std::uint64_t>(buffer[0]);
    offset += static_cast<std::uint64_t>(got);
    bytes -= static_cast<std::uint64_t>(got);
  }
  return sum;
}

int parse_threads(const std::string& text) {
  std::size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < 1 || value > 1024)
    throw UsageError("THREADS must be an integer in 1..1024, got '" + text + "'");
  return value;
}

int run(int argc, char** argv) {
  if (argc != 3) throw UsageError("usage: read_ceiling FILE.h5:/path THREADS");
  const shardrun::io::DatasetRef ref = shardrun::io::parse_dataset_ref(argv[1], "FILE.h5:/path");
  const int threads = parse_threads(argv[2]);
  const Extent extent = raw_extent(ref);

  const int fd = ::open(ref.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RuntimeError("cannot open " + ref.file + ": " + std::strerror(errno));
  const auto count = static_cast<std::size_t>(threads);
  // Allocated and zeroed (so faulted in) before the clock starts.
  std::vector<std::vector<std::byte>> buffers(count, std::vector<std::byte>(kReadBytes));
  std::vector<std::uint64_t> sums(count, 0);
  std::vector<std::exception_ptr> errors(count);
  std::vector<std::thread> workers;
  workers.reserve(count);

  const auto start = std::chrono::steady_clock::now();
  for (std::size_t t = 0; t < count; ++t) {
    workers.emplace_back([&, t] {
      const std::uint64_t begin = extent.bytes * t / count;
      const std::uint64_t end = extent.bytes * (t + 1) / count;
      try {
        sums[t] = read_range(fd, extent.offset + begin, end - begin, buffers[t].data());
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);

  std::uint64_t sink = 0;
  for (std::uint64_t sum : sums) sink += sum;
  g_sink = sink;
  std::printf("seconds=%.6f bytes=%llu gbps=%.4f\n", seconds,
              static_cast<unsigned long long>(extent.bytes),
              static_cast<double>(extent.bytes) / seconds / 1e9);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  shardrun::h5::silence_error_printing();
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "read_ceiling: error: %s\n", e.what());
    return shardrun::kExitUsageError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "read_ceiling: error: %s\n", e.what());
    return shardrun::kExitRuntimeError;
  }
}
