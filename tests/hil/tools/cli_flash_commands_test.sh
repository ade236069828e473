#!/usr/bin/env bash
# End-to-end test of `flashrig probe|write|read|verify|erase|parts` on a simulated chip
# whose contents persist in an image file, plus the bad-input exit code.
#   cli_flash_commands_test.sh FLASHRIG_BINARY   (run from the repository root)
set -euo pipefail
flashrig="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
target="sim:configs/parts/w25q16jv.json?image=$work/chip.bin"

fail() { echo "FAIL: $*" >&2; exit 1; }

"$flashrig" probe --target "$target" > "$work/probe.txt"
grep -q "EF 40 15" "$work/probe.txt" || fail "probe did not print the JEDEC ID"
grep -q "W25Q16JV" "$work/probe.txt" || fail "probe did not name the part"
"$flashrig" parts | grep -q "W25Q128JV" || fail "parts does not list W25Q128JV"

# Write 10000 random bytes at an unaligned offset, verify, and read them back.
head -c 10000 /dev/urandom > "$work/in.bin"
"$flashrig" write --target "$target" --image "$work/in.bin" --range 0x1234+10000 --verify
"$flashrig" verify --target "$target" --image "$work/in.bin" --range 0x1234+10000
"$flashrig" read --target "$target" --image "$work/out.bin" --range 0x1234+10000
cmp "$work/in.bin" "$work/out.bin" || fail "read-back differs from what was written"

# Bytes outside the range are preserved (still erased here).
"$flashrig" read --target "$target" --image "$work/before.bin" --range 0x1000+0x234
[[ "$(tr -d '\377' < "$work/before.bin" | wc -c)" -eq 0 ]] || fail "bytes before the range changed"

# A different image must fail verification with exit code 1.
head -c 10000 /dev/urandom > "$work/other.bin"
set +e
"$flashrig" verify --target "$target" --image "$work/other.bin" --range 0x1234+10000 >/dev/null 2>&1
rc=$?
"$flashrig" probe --target "sim:configs/parts/no-such-part.json" >/dev/null 2>"$work/err.txt"
bad_rc=$?
set -e
[[ $rc -eq 1 ]] || fail "verify of a different image exited $rc, expected 1"
[[ $bad_rc -eq 2 ]] || fail "probe of a missing part file exited $bad_rc, expected 2"
grep -q "no-such-part.json" "$work/err.txt" || fail "error does not name the missing file"

# Erase the range's sectors and check they read back erased.
"$flashrig" erase --target "$target" --range 0x1000+0x4000
"$flashrig" read --target "$target" --image "$work/erased.bin" --range 0x1234+10000
[[ "$(tr -d '\377' < "$work/erased.bin" | wc -c)" -eq 0 ]] || fail "erase left programmed bytes"
echo "PASS"
