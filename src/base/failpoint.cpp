#include "base/failpoint.hpp"

#include <signal.h>

#include <cstdlib>
#include <cstring>

namespace shardrun::base {

void failpoint([[maybe_unused]] const char* name) {
#ifdef SHARDRUN_FAILPOINTS
  static const char* const armed = std::getenv("SHARDRUN_FAILPOINT");
  if (armed && std::strcmp(armed, name) == 0) ::raise(SIGKILL);
#endif
}

}  // namespace shardrun::base
