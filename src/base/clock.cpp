#include "base/clock.hpp"

#include <chrono>

namespace shardrun::base {

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace shardrun::base
