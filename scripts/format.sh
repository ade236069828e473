#!/usr/bin/env bash
# Formats every C++ source with clang-format-14 (Google base, see .clang-format).
#   scripts/format.sh          rewrite files in place
#   scripts/format.sh --check  list files that need formatting; exit 1 if any
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fmt="$(command -v clang-format-14 || command -v clang-format)"
mapfile -t files < <(git ls-files '*.h' '*.cc' '*.cpp')
if [[ "${1:-}" == "--check" ]]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1; then echo "needs format: $f"; bad=1; fi
  done
  exit "$bad"
fi
"$fmt" -i "${files[@]}"
