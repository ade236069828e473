#!/usr/bin/env bash
# End-to-end test of `flashrig sfdp decode|dump`, `flashrig parts new` and `flashrig
# probe`/`parts` on parts made from real chips' SFDP images: decoding every shipped image,
# malformed images (exit 2, message naming the byte offset, no crash), dumping a chip's
# SFDP through the sim:, ftdi-emu: and serprog: targets byte-identical to the image it was
# made from, and a new part file that loads and simulates.
#   cli_sfdp_test.sh FLASHRIG_BINARY   (run from the repository root)
set -euo pipefail
flashrig="$1"
work="$(mktemp -d)"
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# Every shipped image decodes, as text and as JSON.
for image in configs/parts/sfdp/*.sfdp; do
  "$flashrig" sfdp decode "$image" > "$work/text.txt" || fail "decode $image"
  grep -q "^size:" "$work/text.txt" || fail "$image: no size line"
  "$flashrig" sfdp decode --json "$image" > "$work/decoded.json" || fail "decode --json $image"
done
"$flashrig" sfdp decode --json configs/parts/sfdp/is25wp256.sfdp > "$work/is.json"
[[ "$(json "$work/is.json" "d['address_bytes'], d['size_bytes'], d['page_program']['max_us']")" \
   == "3 33554432 1200" ]] || fail "is25wp256 decode: $(cat "$work/is.json")"
json "$work/is.json" "d['warnings'][0]" | grep -q "3-byte addressing only" ||
  fail "is25wp256: no 3-byte-only warning"
"$flashrig" sfdp decode --json configs/parts/sfdp/w25q256fv.sfdp > "$work/fv.json"
[[ "$(json "$work/fv.json" "d['page_program'], d['erase_types'][0]['typical_ms'], d['page_bytes']")" \
   == "None None 256" ]] || fail "w25q256fv: 9-DWORD fields should be null"

# Malformed images: exit 2 with what and where, never a crash.
expect_bad() {  # expect_bad FILE TEXT
  set +e
  "$flashrig" sfdp decode "$1" > /dev/null 2> "$work/err.txt"
  local rc=$?
  set -e
  [[ $rc -eq 2 ]] || fail "decode $1 exited $rc, expected 2: $(cat "$work/err.txt")"
  grep -q "$2" "$work/err.txt" || fail "decode $1: no \"$2\" in: $(cat "$work/err.txt")"
}
: > "$work/empty.sfdp"
expect_bad "$work/empty.sfdp" "empty SFDP image"
head -c 20 configs/parts/sfdp/w25q512jv.sfdp > "$work/short.sfdp"
expect_bad "$work/short.sfdp" "parameter header 1 at byte 0x10 is truncated"
printf 'SFDQ\x06\x01\x00\xff' > "$work/magic.sfdp"
expect_bad "$work/magic.sfdp" "no SFDP signature at byte 0: found 53 46 44 51"
head -c 128 configs/parts/sfdp/w25q512jv.sfdp > "$work/cut.sfdp"
expect_bad "$work/cut.sfdp" "runs past the end of the 128-byte image"
python3 -c "
import sys; b = bytearray(open('configs/parts/sfdp/at25ff321a.sfdp','rb').read()); b[11] = 0
open(sys.argv[1],'wb').write(b)" "$work/zero.sfdp"
expect_bad "$work/zero.sfdp" "BFPT length 0 DWORDs at byte 0xB"
expect_bad "$work/no-such.sfdp" "cannot open"

# Dump through every kind of target: the bytes the simulated chip answers are the image.
part=configs/parts/w25q512jv.json
"$flashrig" sfdp dump --target "sim:$part" -o "$work/sim.sfdp" | grep -q "read 216 bytes"
cmp "$work/sim.sfdp" configs/parts/sfdp/w25q512jv.sfdp || fail "sim: dump differs from the image"
"$flashrig" sfdp dump --target "ftdi-emu:$part" -o "$work/emu.sfdp" > /dev/null
cmp "$work/emu.sfdp" configs/parts/sfdp/w25q512jv.sfdp || fail "ftdi-emu: dump differs"
"$flashrig" serve --serprog tcp:0 --target "sim:$part" --speedup 100000 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on tcp:" "$work/serve.log" && break; sleep 0.1; done
port="$(sed -n 's/.*listening on tcp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)"
[[ -n "$port" ]] || fail "serve did not start: $(cat "$work/serve.log")"
"$flashrig" sfdp dump --target "serprog:tcp:127.0.0.1:$port" -o "$work/serprog.sfdp" > /dev/null
cmp "$work/serprog.sfdp" configs/parts/sfdp/w25q512jv.sfdp || fail "serprog: dump differs"
kill "$server"; wait "$server" 2>/dev/null || true; server=""
"$flashrig" sfdp decode --json --target "sim:$part" > "$work/target.json"
"$flashrig" sfdp decode --json configs/parts/sfdp/w25q512jv.sfdp > "$work/file.json"
cmp "$work/target.json" "$work/file.json" || fail "decode --target differs from decoding the file"

# The probe reports the erratum fix and keeps its usual lines.
"$flashrig" probe --target sim:configs/parts/is25wp256.json > "$work/probe.txt"
for line in "size:       33554432 bytes (32 MiB)" "page:       256 bytes" \
            "addressing: 4-byte opcodes" "override:   address_mode: 3-or-4-byte" "erase:      4 KiB (21h)"; do
  grep -qF "$line" "$work/probe.txt" || fail "probe lacks \"$line\": $(cat "$work/probe.txt")"
done
"$flashrig" parts | grep -q "IS25WP256 .*overrides: address_mode" || fail "parts does not list IS25WP256"

# A new part from an image: it loads, lists what is left to fill in, and simulates.
cp configs/parts/sfdp/w25q512nw_im.sfdp "$work/chip.sfdp"
"$flashrig" parts new --from-sfdp "$work/chip.sfdp" --jedec "EF 80 20" --name NEWPART \
  --vendor Winbond -o "$work/new.json" > "$work/new.txt"
grep -q "block_protect:" "$work/new.txt" || fail "parts new does not ask for block_protect"
grep -q "wear:" "$work/new.json" || fail "the part file's todo lacks wear"
[[ "$(json "$work/new.json" "d['sfdp_image']")" == "chip.sfdp" ]] || fail "image path not relative"
"$flashrig" probe --target "sim:$work/new.json" | grep -q "size:       67108864" || fail "new part"
set +e
"$flashrig" parts new --from-sfdp "$work/chip.sfdp" --jedec "EF 80 20" --name N --vendor W \
  -o "$work/new.json" > /dev/null 2>&1
exists_rc=$?
cp configs/parts/sfdp/is25wp256.sfdp "$work/is.sfdp"
"$flashrig" parts new --from-sfdp "$work/is.sfdp" --jedec "9D 70 19" --name IS --vendor ISSI \
  -o "$work/is-part.json" > "$work/is-new.txt" 2>&1
erratum_rc=$?
"$flashrig" parts new --from-sfdp "$work/is.sfdp" --jedec "9D 70" --name IS --vendor ISSI \
  -o "$work/x.json" > /dev/null 2>&1
jedec_rc=$?
set -e
[[ $exists_rc -eq 2 ]] || fail "parts new over an existing file exited $exists_rc, expected 2"
[[ $erratum_rc -eq 1 ]] || fail "parts new of a table that needs an override exited $erratum_rc"
grep -q "address_mode: the table says 3-byte addressing only" "$work/is-new.txt" ||
  fail "parts new does not say what the table cannot give"
[[ $jedec_rc -eq 2 ]] || fail "parts new with a bad --jedec exited $jedec_rc, expected 2"
echo "PASS"
