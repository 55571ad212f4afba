// The one checked call path into the HDF5 C library, its lock and its handles.
//
// Debian's parallel HDF5 is not thread-safe: every HDF5 call in the process
// must hold lock(). The wrappers in src/h5 take it themselves; nothing outside
// src/h5 calls HDF5.
#pragma once

#include <hdf5.h>

#include <mutex>
#include <string>
#include <utility>

#include "shardrun/errors.hpp"

namespace shardrun::h5 {

// An HDF5 call failed. The message has our context and HDF5's innermost error.
class Error : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

using Lock = std::lock_guard<std::recursive_mutex>;
std::recursive_mutex& library_mutex();

// Stops HDF5 from printing its error stack to stderr (we put it in messages).
void silence_error_printing();

// Throws Error("<what>: <HDF5's message>") when id/status is negative.
hid_t check(hid_t id, const std::string& what);
herr_t check_status(herr_t status, const std::string& what);

// Owns one hid_t and closes it with the matching H5?close. Move-only.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
  bool valid() const { return id_ >= 0; }
  void reset() noexcept {
    if (id_ >= 0) {
      Lock lock(library_mutex());
      closer_(id_);  // never throws; a failed close has nothing left to report to
    }
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

}  // namespace shardrun::h5
