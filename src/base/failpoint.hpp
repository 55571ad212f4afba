// Crash points for tests: a test build (SHARDRUN_FAILPOINTS) kills the
// process with SIGKILL where failpoint(NAME) stands when the environment has
// SHARDRUN_FAILPOINT=NAME, so an end-to-end test can leave exactly the files
// a crash at that instant leaves. Elsewhere failpoint() does nothing.
#pragma once

namespace shardrun::base {

void failpoint(const char* name);

}  // namespace shardrun::base
