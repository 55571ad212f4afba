// `shardrun gen`: write a synthetic dataset for tests, demos and benchmarks.
#include <oneapi/tbb/parallel_for.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>

#include "base/clock.hpp"
#include "base/exit_status.hpp"
#include "cli/commands.hpp"
#include "h5/h5_dataset.hpp"
#include "io/dataset_ref.hpp"
#include "io/result_file.hpp"
#include "mpi/comm.hpp"
#include "shardrun/partial.hpp"

namespace shardrun::cli {
namespace {

struct GenOptions {
  std::string output;             // --output FILE.h5:/path
  std::uint64_t rows = 0;         // --rows
  std::uint64_t cols = 1;         // --cols (1: a 1-D dataset)
  std::string dtype = "float64";  // --dtype
  std::string dist = "uniform";   // --dist
  std::uint64_t seed = 0;         // --seed
  std::uint64_t chunk_rows = 0;   // --chunk-rows (0: contiguous)
  int deflate = 0;                // --deflate
  bool force = false;             // --force
};

// A counter-based generator: element i's value depends on (seed, i) only, so
// any rank count and thread count write the same file.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

double unit(std::uint64_t seed, std::uint64_t i, std::uint64_t stream) {
  return static_cast<double>(mix(mix(seed * 4 + stream) ^ i) >> 11) * 0x1.0p-53;  // [0, 1)
}

// Floats: uniform in [0, 1), standard normal, or the index. Integers: uniform
// in [0, 1000), round(100·normal), or the index (wrapping in narrow types).
template <class T>
T value(const GenOptions& o, std::uint64_t i) {
  if (o.dist == "sequence") return static_cast<T>(i);
  if (o.dist == "normal") {
    const double u1 = 1.0 - unit(o.seed, i, 0);  // (0, 1]
    const double z =
        std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * unit(o.seed, i, 1));
    if constexpr (std::is_floating_point_v<T>) return static_cast<T>(z);
    return static_cast<T>(std::llround(100 * z));
  }
  if constexpr (std::is_floating_point_v<T>) return static_cast<T>(unit(o.seed, i, 0));
  return static_cast<T>(mix(o.seed ^ mix(i)) % 1000);
}

ElementType parse_dtype(const std::string& name) {
  for (auto t :
       {ElementType::i8, ElementType::i16, ElementType::i32, ElementType::i64, ElementType::u8,
        ElementType::u16, ElementType::u32, ElementType::u64, ElementType::f32, ElementType::f64})
    if (element_type_name(t) == name) return t;
  throw UsageError("--dtype: unknown type " + name);
}

class GenCommand : public Command {
 public:
  explicit GenCommand(CLI::App* app) : Command(app) {
    app->add_option("--output", o_.output, "Where to write, FILE.h5:/path")->required();
    app->add_option("--rows", o_.rows, "Rows")->required()->check(CLI::PositiveNumber);
    app->add_option("--cols", o_.cols, "Columns; 1 writes a 1-D dataset")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app->add_option("--dtype", o_.dtype, "Element type")
        ->capture_default_str()
        ->check(CLI::IsMember({"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                               "uint64", "float32", "float64"}));
    app->add_option("--dist", o_.dist,
                    "Values: uniform [0,1) (integers [0,1000)), normal N(0,1) (integers "
                    "round(100 N)), or sequence (the element's index)")
        ->capture_default_str()
        ->check(CLI::IsMember({"uniform", "normal", "sequence"}));
    app->add_option("--seed", o_.seed, "Seed; the data depend on it only, not on ranks or threads")
        ->capture_default_str();
    app->add_option("--chunk-rows", o_.chunk_rows,
                    "Chunked layout with this many rows per chunk "
                    "(default: contiguous)");
    app->add_option("--deflate", o_.deflate, "Deflate level 1-9 (needs --chunk-rows)")
        ->check(CLI::Range(0, 9));
    app->add_flag("--force", o_.force, "Replace the file if it exists");
    app->footer(
        "Every rank writes its own rows in parallel: mpirun -n 4 shardrun gen … is quicker.");
  }

  int run() override {
    const mpi::Comm comm;
    io::DatasetRef ref;
    const base::Failure failure = base::failure_of(base::attempt([&] {
      ref = io::parse_dataset_ref(o_.output, "--output");
      if (o_.deflate > 0 && o_.chunk_rows == 0) throw UsageError("--deflate needs --chunk-rows");
      io::check_output_path(ref.file, "--output");
      if (std::filesystem::exists(ref.file) && !o_.force)
        throw UsageError("--output: " + ref.file + " exists; pass --force to replace it");
    }));
    if (auto first = comm.first_error(failure.exit_status, failure.message)) {
      if (comm.rank() == 0) std::fprintf(stderr, "shardrun: error: %s\n", first->message.c_str());
      return first->exit_status;
    }
    const double started = base::wall_seconds();
    write(ref, comm);
    const double seconds = base::wall_seconds() - started;
    if (comm.rank() == 0) {
      const double bytes =
          static_cast<double>(o_.rows * o_.cols * element_size(parse_dtype(o_.dtype)));
      std::printf("shardrun: wrote %s: %llu x %llu %s, %s, %.2f GB in %.2f s (%.2f GB/s)\n",
                  ref.text().c_str(), static_cast<unsigned long long>(o_.rows),
                  static_cast<unsigned long long>(o_.cols), o_.dtype.c_str(), o_.dist.c_str(),
                  bytes / 1e9, seconds, bytes / seconds / 1e9);
    }
    return 0;
  }

 private:
  // Collective: every rank makes the same number of collective writes (parallel
  // HDF5 needs that for chunked and compressed data), some of them empty.
  void write(const io::DatasetRef& ref, const mpi::Comm& comm) {
    h5::File file = h5::File::create_parallel(ref.file, comm.raw(), true);
    write_dataset(file, ref, comm);
    file.close();
  }

  void write_dataset(h5::File& file, const io::DatasetRef& ref, const mpi::Comm& comm) {
    const ElementType type = parse_dtype(o_.dtype);
    std::vector<std::uint64_t> dims = {o_.rows};
    if (o_.cols > 1) dims.push_back(o_.cols);
    h5::Dataset dataset =
        h5::Dataset::create(file, ref.dataset, type, dims, {o_.chunk_rows, o_.deflate});
    const std::uint64_t row_bytes = o_.cols * element_size(type);
    const std::uint64_t batch = std::max<std::uint64_t>(1, (16ull << 20) / row_bytes);
    const auto ranks = static_cast<std::uint64_t>(comm.size());
    const auto me = static_cast<std::uint64_t>(comm.rank());
    const std::uint64_t begin = o_.rows * me / ranks, end = o_.rows * (me + 1) / ranks;
    const std::uint64_t most = (o_.rows + ranks - 1) / ranks;
    Bytes buffer(std::min(batch, std::max<std::uint64_t>(end - begin, 1)) * row_bytes);
    for (std::uint64_t step = 0; step * batch < most; ++step) {
      const std::uint64_t first = std::min(begin + step * batch, end);
      const std::uint64_t rows = std::min(batch, end - first);
      visit_element_type(type, [&](auto tag) {
        using T = decltype(tag);
        T* out = reinterpret_cast<T*>(buffer.data());
        const std::uint64_t base = first * o_.cols;
        tbb::parallel_for(std::uint64_t{0}, rows * o_.cols,
                          [&](std::uint64_t i) { out[i] = value<T>(o_, base + i); });
      });
      // Filters need collective writes in parallel HDF5; contiguous data is
      // faster written independently.
      dataset.write_rows(first, rows, type, buffer.data(), o_.chunk_rows > 0);
    }
  }

  GenOptions o_;
};

}  // namespace

std::unique_ptr<Command> setup_gen(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("gen", "Write a synthetic dataset (deterministic for a seed)");
  return std::make_unique<GenCommand>(sub);
}

}  // namespace shardrun::cli
