#!/usr/bin/env bash
# The SDK tests' fixture: install the build into WORK/prefix, then build the
# example project and the test plugins out of tree against that prefix, from
# copies outside the source tree (they see only what the package installs).
#   tests/sdk/sdk_build.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cp -r "$here/../../examples/myjob" "$work/myjob-src"
cp -r "$here/plugins" "$work/plugins-src"
for project in myjob plugins; do
  cmake -S "$work/$project-src" -B "$work/$project" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$work/$project" -j2 >/dev/null
done
echo "sdk_build.sh: prefix, example and test plugins in $work"
