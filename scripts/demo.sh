#!/usr/bin/env bash
# Sets everything up, builds, and runs the main job on the simulated chip. This is the
# README's first command.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${FLASHRIG_BUILD_DIR:-build}"

bash "$repo_root/scripts/setup.sh"
cmake --build "$repo_root/$build_dir" -j "$(nproc)" --target flashrig
cd "$repo_root"
"$build_dir/hil/flashrig" selfcheck
