// A short fingerprint of bytes, for a job's parameters or its result.
#pragma once

#include <cstddef>
#include <string>

namespace shardrun {

// FNV-1a (64-bit) over bytes, as 16 hex digits. Not cryptographic: it tells
// results apart, it does not guard them.
std::string digest_hex(const void* data, std::size_t size);

}  // namespace shardrun
