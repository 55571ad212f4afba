// Partials of reduce jobs and the byte codec they travel in between ranks.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "shardrun/errors.hpp"

namespace shardrun {

using Bytes = std::vector<std::byte>;

// Appends trivially copyable values to a byte buffer (host byte order: the
// buffer never leaves one job's ranks).
class Encoder {
 public:
  template <class T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    put_bytes(&value, sizeof(T));
  }
  void put_bytes(const void* data, std::size_t size) {
    if (size == 0) return;  // data may be an empty vector's null data()
    const auto* p = static_cast<const std::byte*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
  }
  // Room for `size` more bytes: one allocation for a large encoding.
  void reserve(std::size_t size) { bytes_.reserve(bytes_.size() + size); }
  Bytes take() { return std::move(bytes_); }

 private:
  Bytes bytes_;
};

// Reads back what an Encoder wrote; throws RuntimeError past the end.
class Decoder {
 public:
  explicit Decoder(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    get_bytes(&value, sizeof(T));
    return value;
  }
  void get_bytes(void* out, std::size_t size) {
    if (size > bytes_.size() - pos_) throw RuntimeError("corrupt partial: truncated encoding");
    if (size == 0) return;  // out may be an empty vector's null data()
    std::memcpy(out, bytes_.data() + pos_, size);
    pos_ += size;
  }
  // The next `size` bytes where they lie, no copy: valid while the encoded
  // bytes are.
  std::span<const std::byte> view(std::size_t size) {
    if (size > bytes_.size() - pos_) throw RuntimeError("corrupt partial: truncated encoding");
    const auto out = bytes_.subspan(pos_, size);
    pos_ += size;
    return out;
  }
  bool done() const { return pos_ == bytes_.size(); }
  // Bytes not yet read: the most a size read from the encoding can claim.
  std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
};

// A reduce job's result for a contiguous run of shards. The engine combines
// partials in a fixed tree over shard ids, so combine() need only be
// associative, not commutative: `right` always covers the shards just after
// the ones this partial covers.
class Partial {
 public:
  virtual ~Partial() = default;
  virtual void combine(const Partial& right) = 0;
  virtual void encode(Encoder& out) const = 0;
};

using PartialPtr = std::unique_ptr<Partial>;

}  // namespace shardrun
