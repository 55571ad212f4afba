#!/usr/bin/env bash
# Configures and builds shardrun in Release into build/ (or $BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DSHARDRUN_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build" -j "$(nproc)"
