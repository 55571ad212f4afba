#include "base/checksum.hpp"

#include <xxhash.h>

#include <new>

namespace shardrun::base {

struct Checksum::State {
  XXH3_state_t* xxh = XXH3_createState();
  ~State() { XXH3_freeState(xxh); }
};

Checksum::Checksum() : state_(std::make_unique<State>()) {
  if (!state_->xxh) throw std::bad_alloc();
  XXH3_64bits_reset(state_->xxh);
}
Checksum::~Checksum() = default;
Checksum::Checksum(Checksum&&) noexcept = default;
Checksum& Checksum::operator=(Checksum&&) noexcept = default;

void Checksum::add(const void* data, std::size_t size) {
  if (size > 0) XXH3_64bits_update(state_->xxh, data, size);
}

void Checksum::add(const std::string& text) {
  add(static_cast<std::uint64_t>(text.size()));
  add(text.data(), text.size());
}

std::uint64_t Checksum::value() const { return XXH3_64bits_digest(state_->xxh); }

}  // namespace shardrun::base
