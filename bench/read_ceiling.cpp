// read_ceiling FILE.h5:/path THREADS [START]
//
// The page-cache read ceiling for one dataset: THREADS threads pread() the
// dataset's raw bytes in reads of shardrun's block size (io::kReadBlockBytes)
// into a buffer of their own that they reuse, and touch nothing else (one byte
// per read is summed so that nothing can be optimised away). The bytes are
// handed out in 4 MiB pieces, in order, from a shared counter, as shardrun's
// dynamic balance hands out shards: a thread on a slower core takes fewer
// pieces, so a split fixed in advance does not set the time. This is what
// shardrun's raw read path does minus the computation, so shardrun at the same
// parallelism can approach it but not beat it. Prints one line:
//   seconds=<s> bytes=<n> gbps=<x> end=<epoch s>
// With START, copies of this program started together share the counter (a
// file in /dev/shm named after START) and begin reading at the wall-clock
// time START (seconds since the epoch): the ceiling of as many ranks is the
// sum of their bytes over (latest end − START).
// Needs a contiguous, unfiltered, native-order dataset (what `shardrun gen`
// writes by default). Exit status: 0 done, 1 runtime error, 2 usage error.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
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

// The next piece to read: a std::atomic of this process, or a counter in a
// shared /dev/shm file for several processes.
class PieceCounter {
 public:
  PieceCounter() = default;
  explicit PieceCounter(const std::string& shared_name) : name_(shared_name) {
    const int fd = ::open(name_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw RuntimeError("cannot open " + name_ + ": " + std::strerror(errno));
    // Every process sizes it; a file already this size keeps its contents.
    void* map =
        ::ftruncate(fd, sizeof(std::uint64_t)) == 0
            ? ::mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            : MAP_FAILED;
    ::close(fd);
    if (map == MAP_FAILED) throw RuntimeError("cannot map " + name_ + ": " + std::strerror(errno));
    shared_ = static_cast<std::uint64_t*>(map);
  }
  PieceCounter(const PieceCounter&) = delete;
  PieceCounter& operator=(const PieceCounter&) = delete;
  ~PieceCounter() {
    if (!shared_) return;
    ::munmap(shared_, sizeof(std::uint64_t));
    ::unlink(name_.c_str());  // the other processes opened it before START
  }
  std::uint64_t next() {
    if (shared_) return std::atomic_ref<std::uint64_t>(*shared_).fetch_add(1);
    return local_.fetch_add(1);
  }

 private:
  std::string name_;
  std::uint64_t* shared_ = nullptr;
  std::atomic<std::uint64_t> local_{0};
};

constexpr std::uint64_t kPieceBytes = 16 * kReadBytes;

std::chrono::system_clock::time_point parse_epoch(const std::string& text) {
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !(seconds > 0))
    throw UsageError("START must be seconds since the epoch, got '" + text + "'");
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(seconds)));
}

int run(int argc, char** argv) {
  if (argc != 3 && argc != 4) throw UsageError("usage: read_ceiling FILE.h5:/path THREADS [START]");
  const shardrun::io::DatasetRef ref = shardrun::io::parse_dataset_ref(argv[1], "FILE.h5:/path");
  const int threads = parse_threads(argv[2]);
  const std::optional<std::chrono::system_clock::time_point> start_at =
      argc == 4 ? std::optional(parse_epoch(argv[3])) : std::nullopt;
  const Extent extent = raw_extent(ref);

  const int fd = ::open(ref.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RuntimeError("cannot open " + ref.file + ": " + std::strerror(errno));
  std::optional<PieceCounter> counter;
  if (start_at)
    counter.emplace("/dev/shm/shardrun-read-ceiling-" + std::string(argv[3]));
  else
    counter.emplace();
  const auto count = static_cast<std::size_t>(threads);
  // Allocated and zeroed (so faulted in) before the clock starts.
  std::vector<std::vector<std::byte>> buffers(count, std::vector<std::byte>(kReadBytes));
  std::vector<std::uint64_t> sums(count, 0), bytes(count, 0);
  std::vector<std::exception_ptr> errors(count);
  std::vector<std::thread> workers;
  workers.reserve(count);

  if (start_at) std::this_thread::sleep_until(*start_at);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t t = 0; t < count; ++t) {
    workers.emplace_back([&, t] {
      try {
        for (std::uint64_t piece = counter->next(); piece * kPieceBytes < extent.bytes;
             piece = counter->next()) {
          const std::uint64_t begin = piece * kPieceBytes;
          const std::uint64_t size = std::min(kPieceBytes, extent.bytes - begin);
          sums[t] += read_range(fd, extent.offset + begin, size, buffers[t].data());
          bytes[t] += size;
        }
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double end_epoch =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  ::close(fd);
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);

  std::uint64_t sink = 0, total = 0;
  for (std::size_t t = 0; t < count; ++t) {
    sink += sums[t];
    total += bytes[t];
  }
  g_sink = sink;
  std::printf("seconds=%.6f bytes=%llu gbps=%.4f end=%.6f\n", seconds,
              static_cast<unsigned long long>(total), static_cast<double>(total) / seconds / 1e9,
              end_epoch);
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
