#!/usr/bin/env bash
# `flashrig validate|run|probe` on JSON the library cannot represent (1e400, invalid
# UTF-8, 100000 levels of nesting, huge integers): exit 2 with an error naming the file and
# the JSON pointer, never an abort (these used to exit 134).
#   cli_bad_json_test.sh FLASHRIG_BINARY   (run from the repository root)
set -euo pipefail
flashrig="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

head='{"name": "n", "kind": "endurance", "rig": {"target": "ram:4096x8"}, "endurance": {"cycles": '
printf '%s1e400}}' "$head" > "$work/overflow.json"
printf '%s-1e400}}' "$head" > "$work/negative-overflow.json"
printf '%s123456789012345678901234567890}}' "$head" > "$work/huge-integer.json"
printf '%sNaN}}' "$head" > "$work/nan.json"
printf '{"name": "ab\xff", "kind": "qualify", "rig": {"target": "ram:4096x8"}}' > "$work/utf8.json"
{ printf '%s' "$head"; head -c 100000 /dev/zero | tr '\0' '['; printf '}}'; } > "$work/deep.json"

# file | pointer and message the error must contain
expect=(
  "overflow.json|/endurance/cycles: invalid JSON at line 1, column"
  "negative-overflow.json|/endurance/cycles: invalid JSON at line 1, column"
  "huge-integer.json|/endurance/cycles: expected a positive integer, got 1.2345"
  "nan.json|/endurance/cycles: invalid JSON at line 1"
  "utf8.json|/name: invalid JSON at line 1"
  "deep.json|/endurance/cycles/0/0/0"
)
for entry in "${expect[@]}"; do
  file="${entry%%|*}"
  want="$work/$file: ${entry#*|}"
  for cmd in validate run; do
    args=("$cmd" "$work/$file")
    [[ $cmd == run ]] && args+=(--out "$work/out")
    set +e
    "$flashrig" "${args[@]}" >/dev/null 2>"$work/err.txt" </dev/null
    rc=$?
    set -e
    [[ $rc -eq 2 ]] || fail "flashrig $cmd $file exited $rc, expected 2: $(head -3 "$work/err.txt")"
    grep -qF -- "$want" "$work/err.txt" || fail "flashrig $cmd $file: no \"$want\" in: $(cat "$work/err.txt")"
  done
done
[[ ! -e "$work/out" ]] || fail "a rejected campaign created its output directory"

# The number overflow message says what overflowed.
"$flashrig" validate "$work/overflow.json" >"$work/out.txt" 2>&1 || true
grep -qF "number overflow parsing '1e400'" "$work/out.txt" ||
  fail "the overflow error does not quote the number: $(cat "$work/out.txt")"

# A part file with a number out of range, through sim:PART.json.
sed 's/"size_bytes": 16777216/"size_bytes": 1e400/' configs/parts/w25q128jv.json > "$work/part.json"
grep -q 1e400 "$work/part.json" || fail "test setup: size_bytes not replaced"
set +e
"$flashrig" probe --target "sim:$work/part.json" >/dev/null 2>"$work/err.txt"
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "probe of a part with 1e400 exited $rc, expected 2"
grep -qF "$work/part.json: /size_bytes: invalid JSON" "$work/err.txt" ||
  fail "probe error does not name the part file and pointer: $(cat "$work/err.txt")"
echo "cli_bad_json_test: ok"
