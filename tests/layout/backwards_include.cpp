// Compiled as if it were a file of room core: core may not see the
// orchestrator above it, so this must fail to build (tests/CMakeLists.txt).
#include "run/run_job.hpp"
