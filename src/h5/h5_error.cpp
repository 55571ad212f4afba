#include "h5/h5_error.hpp"

namespace shardrun::h5 {

std::recursive_mutex& library_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

void silence_error_printing() {
  Lock lock(library_mutex());
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {

// The innermost (first pushed) error of the default stack: the most specific.
herr_t take_innermost(unsigned n, const H5E_error2_t* err, void* out) {
  if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
  return 0;
}

[[noreturn]] void fail(const std::string& what) {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  throw Error(detail.empty() ? what : what + " (" + detail + ")");
}

}  // namespace

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) fail(what);
  return id;
}

herr_t check_status(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
  return status;
}

}  // namespace shardrun::h5
