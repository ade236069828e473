#!/usr/bin/env bash
# Sets everything up, builds, and runs the main job on the simulated chip. This is the
# README's first command. Output: out/demo/report.html, report.json, junit.xml.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${FLASHRIG_BUILD_DIR:-build}"

bash "$repo_root/scripts/setup.sh"
cmake --build "$repo_root/$build_dir" -j "$(nproc)" --target flashrig
cd "$repo_root"
"$build_dir/hil/flashrig" selfcheck
# The demo campaign: qualify the simulated Winbond W25Q128JV (identity, SFDP vs the part
# database, protection, timings vs datasheet, integrity, endurance and power-loss samples).
"$build_dir/hil/flashrig" run configs/campaigns/demo.json --out out/demo
echo "demo: report at $repo_root/out/demo/report.html (also report.json, junit.xml)"
