#!/usr/bin/env bash
# The whole test suite: install what is missing, build (Release, with tests),
# run unit, MPI (1-4 ranks), end-to-end and Slurm tests (a single-node Slurm
# started by scripts/slurm-start.sh); then the same suite again on
# an AddressSanitizer + UndefinedBehaviorSanitizer build (skip with
# SHARDRUN_SKIP_SANITIZE=1); then every libFuzzer target for
# SHARDRUN_FUZZ_SECONDS (default 10) each (skip with SHARDRUN_SKIP_FUZZ=1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
. scripts/mpi-env.sh
scripts/build.sh -DSHARDRUN_BUILD_TESTS=ON
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure
if [ "${SHARDRUN_SKIP_SANITIZE:-0}" != 1 ]; then
  BUILD_DIR=build-sanitize scripts/build.sh -DSHARDRUN_BUILD_TESTS=ON -DSHARDRUN_SANITIZE=ON \
    -DSHARDRUN_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
  # Open MPI keeps memory until exit by design: leak reports would be its, not ours.
  # The Slurm tests (label slurm) exercise the batch templates and the
  # emulated hosts (label hosts) the transport between hosts, not new C++
  # paths: they run once, in the Release stage, as do the Python and SDK
  # suites (label once, tests/CMakeLists.txt says why).
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-sanitize --output-on-failure --label-exclude 'slurm|hosts|once'
fi
if [ "${SHARDRUN_SKIP_FUZZ:-0}" != 1 ]; then
  # A short run per target so that none rots and a regression shows;
  # scripts/fuzz.sh 300 (or more) is the real search.
  scripts/fuzz.sh "${SHARDRUN_FUZZ_SECONDS:-10}"
fi
