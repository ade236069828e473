#!/usr/bin/env bash
# Sets everything up, builds, and runs every test that needs no hardware (all ctest labels
# except `hw`; for a non-root user also except `cluster`, with a note). This is the
# README's test command and what CI runs (as root).
#   scripts/test.sh                               g++ build in ./build
#   FLASHRIG_BUILD_DIR=build-asan CXX=clang++ scripts/test.sh -DFLASHRIG_SANITIZE=address,undefined
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${FLASHRIG_BUILD_DIR:-build}"
jobs="${FLASHRIG_JOBS:-$(nproc)}"

bash "$repo_root/scripts/setup.sh" "$@"
cmake --build "$repo_root/$build_dir" -j "$jobs"
# The `cluster` tests run a private Slurm cluster, whose daemons need root. For anyone
# else they are left out here, and said so; run as root to include them (CI does).
exclude=hw
if [[ $(id -u) -ne 0 ]]; then
  exclude='hw|cluster'
  echo "test: not root (uid $(id -u)): leaving out the 'cluster' tests (a private Slurm cluster needs root; see README)"
fi
ctest --test-dir "$repo_root/$build_dir" -LE "$exclude" --output-on-failure -j "$jobs"
