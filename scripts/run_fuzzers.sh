#!/usr/bin/env bash
# Runs every fuzzer a fuzz build registered (<build>/fuzzers.tsv), each for its time, on a
# corpus in <build>/corpus/<name> seeded from the listed directories, and prints its
# final stats. Exit 1 if any fuzzer finds a crash, leak or timeout.
#   scripts/run_fuzzers.sh build-fuzz [NAME...]
set -euo pipefail
build="${1:?usage: run_fuzzers.sh BUILD_DIR [NAME...]}"
shift
only=("$@")
list="$build/fuzzers.tsv"
[[ -f "$list" ]] || { echo "run_fuzzers: $list not found (configure with -DFLASHRIG_FUZZ=ON)" >&2; exit 2; }
status=0
while IFS=$'\t' read -r name binary seconds seeds; do
  [[ -n "$name" ]] || continue
  if ((${#only[@]})) && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  IFS=',' read -ra seed_dirs <<<"$seeds"
  for d in "${seed_dirs[@]}"; do
    [[ -d "$d" ]] && cp -n "$d"/* "$corpus"/ 2>/dev/null || true
  done
  echo "--- $name: ${seconds} s, corpus $(ls "$corpus" | wc -l) inputs"
  log="$build/$name.log"
  if ! "$binary" -max_total_time="$seconds" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    echo "run_fuzzers: $name FAILED; its log:" >&2
    tail -40 "$log" >&2
    status=1
  fi
  grep -E "^INFO: Loaded [0-9]+ modules|^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units" "$log" || true
done <"$list"
exit "$status"
