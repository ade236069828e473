#!/usr/bin/env bash
# Sets everything up, builds, and runs every test that needs no hardware (all ctest labels
# except `hw`). This is the README's test command and what CI runs.
#   scripts/test.sh                               g++ build in ./build
#   FLASHRIG_BUILD_DIR=build-asan CXX=clang++ scripts/test.sh -DFLASHRIG_SANITIZE=address,undefined
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${FLASHRIG_BUILD_DIR:-build}"
jobs="${FLASHRIG_JOBS:-$(nproc)}"

bash "$repo_root/scripts/setup.sh" "$@"
cmake --build "$repo_root/$build_dir" -j "$jobs"
ctest --test-dir "$repo_root/$build_dir" -LE hw --output-on-failure -j "$jobs"
