#!/usr/bin/env bash
# The whole test suite: install what is missing, build (Release, with tests),
# run unit, MPI (1-4 ranks) and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DSHARDRUN_BUILD_TESTS=ON
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure
