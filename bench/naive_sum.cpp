// naive_sum FILE.h5:/path
//
// The naive baseline for `shardrun run stats`: one thread reads the dataset
// through HDF5 (shardrun::h5::Dataset::read_rows) in 1 MiB hyperslabs into a
// reused buffer of doubles and adds them up in a plain for loop, as someone
// would write it without shardrun. Prints one line:
//   seconds=<s> bytes=<n> gbps=<x> sum=<sum>
// seconds covers the reads and the sum, not opening the file; bytes are the
// dataset's bytes in the file. Exit status: 0 done, 1 runtime error, 2 usage error.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <vector>

#include "h5/h5_dataset.hpp"
#include "h5/h5_error.hpp"
#include "h5/h5_file.hpp"
#include "io/dataset_ref.hpp"
#include "shardrun/element_type.hpp"
#include "shardrun/errors.hpp"

namespace {

using shardrun::ElementType;
using shardrun::UsageError;

// 1 MiB hyperslabs: faster for H5Dread here than shardrun's smaller blocks
// (fewer calls), so the baseline gets its best case.
constexpr std::uint64_t kBlockBytes = 1ull << 20;

int run(int argc, char** argv) {
  if (argc != 2) throw UsageError("usage: naive_sum FILE.h5:/path");
  const shardrun::io::DatasetRef ref = shardrun::io::parse_dataset_ref(argv[1], "FILE.h5:/path");
  if (!shardrun::h5::File::is_hdf5(ref.file)) throw UsageError(ref.file + " is not an HDF5 file");
  const auto file = shardrun::h5::File::open_read(ref.file);
  const auto dataset = shardrun::h5::Dataset::open(file, ref.dataset);
  const shardrun::h5::DatasetShape shape = dataset.shape();
  if (!shape.type) throw UsageError(ref.text() + " has type " + shape.type_description);
  if (shape.dims.empty() || shape.dims.size() > 2)
    throw UsageError(ref.text() + " is not a 1-D or 2-D dataset");
  const std::uint64_t rows = shape.dims[0];
  const std::uint64_t cols = shape.dims.size() == 2 ? shape.dims[1] : 1;
  const std::uint64_t bytes = rows * cols * shardrun::element_size(*shape.type);
  if (bytes == 0) throw UsageError(ref.text() + " is empty");

  const std::uint64_t rows_per_block =
      std::max<std::uint64_t>(1, kBlockBytes / (cols * sizeof(double)));
  std::vector<double> buffer(std::min(rows_per_block, rows) * cols);

  const auto start = std::chrono::steady_clock::now();
  double sum = 0;
  for (std::uint64_t row = 0; row < rows; row += rows_per_block) {
    const std::uint64_t n = std::min(rows_per_block, rows - row);
    dataset.read_rows(row, n, ElementType::f64, buffer.data());
    const std::size_t values = n * cols;
    for (std::size_t i = 0; i < values; ++i) sum += buffer[i];
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("seconds=%.6f bytes=%llu gbps=%.4f sum=%.17g\n", seconds,
              static_cast<unsigned long long>(bytes), static_cast<double>(bytes) / seconds / 1e9,
              sum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  shardrun::h5::silence_error_printing();
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "naive_sum: error: %s\n", e.what());
    return shardrun::kExitUsageError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "naive_sum: error: %s\n", e.what());
    return shardrun::kExitRuntimeError;
  }
}
