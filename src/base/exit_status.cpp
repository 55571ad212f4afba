#include "base/exit_status.hpp"

#include "shardrun/errors.hpp"

namespace shardrun::base {

Failure failure_of(const std::exception_ptr& error) {
  if (!error) return {kExitOk, ""};
  try {
    std::rethrow_exception(error);
  } catch (const UsageError& e) {
    return {kExitUsageError, e.what()};
  } catch (const std::exception& e) {
    return {kExitRuntimeError, e.what()};
  } catch (...) {
    return {kExitRuntimeError, "unknown error"};
  }
}

}  // namespace shardrun::base
