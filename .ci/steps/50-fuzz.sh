#!/usr/bin/env bash
# libFuzzer: every target registered with flashrig_add_fuzzer (tests/fuzz/), each for its
# own time on a corpus seeded from real inputs.
# budget: 900
set -euo pipefail
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DFLASHRIG_FUZZ=ON \
  -DFLASHRIG_SANITIZE=address,undefined -DFLASHRIG_BUILD_BENCH=OFF -DFLASHRIG_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target flashrig_fuzzers
bash scripts/run_fuzzers.sh build-fuzz
