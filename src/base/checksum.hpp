// A 64-bit checksum of bytes (xxHash's XXH3), for state that must be
// refused when damaged: what a resume reads of a checkpoint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace shardrun::base {

// Streaming: add() pieces in order, value() at any point. Move-only.
class Checksum {
 public:
  Checksum();
  ~Checksum();
  Checksum(Checksum&&) noexcept;
  Checksum& operator=(Checksum&&) noexcept;
  Checksum(const Checksum&) = delete;
  Checksum& operator=(const Checksum&) = delete;

  void add(const void* data, std::size_t size);
  // A string with its length first, so ("ab", "c") and ("a", "bc") differ.
  void add(const std::string& text);
  // A vector's bytes with their count first, likewise.
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void add_sized(const std::vector<T>& values) {
    add(static_cast<std::uint64_t>(values.size() * sizeof(T)));
    add(values.data(), values.size() * sizeof(T));
  }
  template <class T>
  requires std::is_arithmetic_v<T>
  void add(T value) { add(&value, sizeof value); }
  std::uint64_t value() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace shardrun::base
