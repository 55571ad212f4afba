// The one place an exception becomes an exit status (docs/design.md, promise 7).
#pragma once

#include <exception>
#include <string>

namespace shardrun::base {

struct Failure {
  int exit_status = 0;  // kExitOk when there was no exception
  std::string message;
};

// UsageError → kExitUsageError; any other exception → kExitRuntimeError;
// a null pointer → kExitOk with an empty message.
Failure failure_of(const std::exception_ptr& error);

// Runs f; returns what it threw, if anything.
template <class F>
std::exception_ptr attempt(F&& f) {
  try {
    f();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

}  // namespace shardrun::base
