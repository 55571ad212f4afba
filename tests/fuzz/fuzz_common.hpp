// What every fuzz target shares: shardrun's own errors are a normal outcome
// of bad input; any other exception escapes and libFuzzer reports it (an
// uncaught exception aborts), as it does crashes, sanitizer reports, huge
// allocations (-malloc_limit_mb) and hangs (-timeout).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>

#include "shardrun/errors.hpp"

namespace shardrun::fuzz {

// Runs body(); UsageError and RuntimeError (h5::Error is one) are expected.
template <class F>
void expect_shardrun_errors(F&& body) {
  try {
    body();
  } catch (const UsageError&) {
  } catch (const RuntimeError&) {
  }
}

// A property the code under test broke: print it and abort (a finding).
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline std::span<const std::byte> as_bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

// Reads the input front to back: small numbers to pick cases, then the rest.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string_view rest() {
    std::string_view all = as_text(data_ + pos_, size_ - pos_);
    pos_ = size_;
    return all;
  }
  std::span<const std::byte> rest_bytes() {
    auto all = as_bytes(data_ + pos_, size_ - pos_);
    pos_ = size_;
    return all;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// A file of the process's own (for APIs that take a path), rewritten per input.
inline std::string scratch_file(std::string_view content) {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("shardrun-fuzz-" + std::to_string(::getpid())))
          .string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) fail("cannot write the scratch file " + path);
  return path;
}

}  // namespace shardrun::fuzz
