#!/usr/bin/env bash
# g++ 12 Release (-O3), the first build most users type: warning-free with -Werror, then
# every test but hw. Its build directory is installed and packaged by 45-install.sh.
# budget: 1200
set -euo pipefail
FLASHRIG_BUILD_DIR=build-release bash scripts/test.sh \
  -DCMAKE_BUILD_TYPE=Release -DFLASHRIG_BUILD_BENCH=OFF -DFLASHRIG_WERROR=ON
