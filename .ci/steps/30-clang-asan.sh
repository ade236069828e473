#!/usr/bin/env bash
# clang 14 + AddressSanitizer + UndefinedBehaviorSanitizer, Debug, every label but hw.
# budget: 1200
set -euo pipefail
FLASHRIG_BUILD_DIR=build-asan CXX=clang++ bash scripts/test.sh \
  -DFLASHRIG_SANITIZE=address,undefined -DFLASHRIG_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug \
  -DFLASHRIG_WERROR=ON
