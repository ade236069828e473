#!/usr/bin/env bash
# Runs every fuzzer a fuzz build registered (<build>/fuzzers.tsv), each for its time, on a
# corpus in <build>/corpus/<name> seeded from the listed directories, and prints its
# final stats and the covered / instrumented edges of the code under test. Exit 1 if any
# fuzzer finds a crash, leak or timeout. Run from the repository root (config_fuzz reads
# the shipped configs' relative paths).
#   scripts/run_fuzzers.sh build-fuzz [NAME...]
set -euo pipefail
build="${1:?usage: run_fuzzers.sh BUILD_DIR [NAME...]}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shift
only=("$@")
list="$build/fuzzers.tsv"
[[ -f "$list" ]] || { echo "run_fuzzers: $list not found (configure with -DFLASHRIG_FUZZ=ON)" >&2; exit 2; }
status=0
summary=()
while IFS=$'\t' read -r name binary seconds seeds coverage_binary dict under_test; do
  [[ -n "$name" ]] || continue
  # "-" marks an empty field (tests/fuzz/CMakeLists.txt).
  [[ "$seeds" == "-" ]] && seeds=""
  [[ "${dict:-}" == "-" ]] && dict=""
  [[ "${under_test:-}" == "-" ]] && under_test=""
  if ((${#only[@]})) && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  IFS=',' read -ra seed_dirs <<<"$seeds"
  for d in "${seed_dirs[@]}"; do
    [[ -d "$d" ]] && cp -n "$d"/* "$corpus"/ 2>/dev/null || true
  done
  echo "--- $name: ${seconds} s, corpus $(ls "$corpus" | wc -l) inputs"
  log="$build/$name.log"
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: ASan's shadow included.
  dict_arg=()
  [[ -n "${dict:-}" ]] && dict_arg=(-dict="$dict")
  if ! "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 "${dict_arg[@]}" \
      -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    echo "run_fuzzers: $name FAILED; its log:" >&2
    tail -40 "$log" >&2
    status=1
  fi
  grep -E "^INFO: Loaded [0-9]+ modules|^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units" "$log" || true
  # What the corpus covers of the code under test, replayed by NAME_coverage: libFuzzer's
  # covered / instrumented edges (only the code under test is instrumented, at -O0 and
  # without sanitizer checks: tests/fuzz/CMakeLists.txt) and, from the same run,
  # llvm-cov's line and branch coverage of the sources under test.
  if [[ -n "${coverage_binary:-}" && -x "$coverage_binary" ]]; then
    clog="$build/$name.coverage.log"
    rm -f "$build/$name.profraw"
    LLVM_PROFILE_FILE="$build/$name.profraw" "$coverage_binary" -runs=0 "$corpus" >"$clog" 2>&1 || true
    edges="$(sed -n 's/^INFO: Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$clog" | head -1)"
    cov="$(sed -n 's/^#[0-9]*[[:space:]]*INITED cov: \([0-9]*\) .*/\1/p' "$clog" | tail -1)"
    source_cov=""
    if [[ -n "${under_test:-}" && -f "$build/$name.profraw" ]] && command -v llvm-cov-14 >/dev/null; then
      llvm-profdata-14 merge -sparse -o "$build/$name.profdata" "$build/$name.profraw"
      # Rows: file, regions, missed, %, functions, missed, %, lines, missed, %, branches,
      # missed, %; file names are relative to the repository root. Sum the files under test.
      source_cov="$(llvm-cov-14 report "$coverage_binary" -instr-profile="$build/$name.profdata" \
        2>/dev/null | awk -v list="${under_test//$repo_root\//}" '
          BEGIN { n = split(list, f, ","); for (i = 1; i <= n; i++) want[f[i]] = 1 }
          want[$1] { l += $8; lm += $9; b += $11; bm += $12 }
          END { if (l > 0) printf "lines %d/%d (%.1f %%), branches %d/%d (%.1f %%)",
                  l - lm, l, 100 * (l - lm) / l, b - bm, b, b ? 100 * (b - bm) / b : 100 }')"
    fi
    if [[ -n "$edges" && -n "$cov" && "$edges" -gt 0 ]]; then
      pct=$(awk -v c="$cov" -v e="$edges" 'BEGIN { printf "%.1f", 100 * c / e }')
      echo "coverage: $name covered $cov of $edges instrumented edges ($pct %)${source_cov:+; source: $source_cov}"
      summary+=("$(printf '%-14s %5s / %-5s edges %5s %%   %s' "$name" "$cov" "$edges" "$pct" "$source_cov")")
    fi
  fi
done <"$list"
if ((${#summary[@]})); then
  echo "--- coverage of the code under test (covered / instrumented edges):"
  printf '%s\n' "${summary[@]}"
fi
exit "$status"
