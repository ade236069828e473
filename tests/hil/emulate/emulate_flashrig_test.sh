#!/usr/bin/env bash
# flashrig's own ftdi:// driver (libftdi1 + libusb) through `flashrig emulate`: probe,
# write with verify, read back, erase, on an FT232H (W25Q16JV) and on channel A of an
# FT2232H (MX25L25645G, 4-byte addresses), with --strict.
#   emulate_flashrig_test.sh FLASHRIG   (run from the repository root)
set -euo pipefail
flashrig="$(realpath "$1")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
emu() {  # ftdi part image -- flashrig args...
  local ftdi="$1" part="$2" image="$3"
  shift 4
  "$flashrig" emulate --strict --ftdi "$ftdi" --part "configs/parts/$part.json" \
    --image "$image" -- "$flashrig" "$@" >"$work/log" 2>&1 \
    || { cat "$work/log" >&2; fail "flashrig $* on $ftdi/$part exited $?"; }
}
head -c 65536 /dev/urandom >"$work/data.bin"
check() {  # ftdi part jedec offset
  local chip="$work/$1-$2.bin" url="ftdi://ftdi:$1/1" range="$4+65536"
  emu "$1" "$2" "$chip" -- probe --target "$url"
  grep -q "jedec_id:   $3" "$work/log" || { cat "$work/log"; fail "$1: probe"; }
  emu "$1" "$2" "$chip" -- write --target "$url" --image "$work/data.bin" --range "$range" --verify
  grep -q "verified" "$work/log" || { cat "$work/log"; fail "$1: write --verify"; }
  emu "$1" "$2" "$chip" -- read --target "$url" --image "$work/back.bin" --range "$range"
  cmp "$work/back.bin" "$work/data.bin" || fail "$1: read-back differs"
  cmp <(tail -c "+$(($4 + 1))" "$chip" | head -c 65536) "$work/data.bin" \
    || fail "$1: the saved image differs"
  emu "$1" "$2" "$chip" -- erase --target "$url" --range "$range"
  [[ "$(tr -d '\377' <"$chip" | wc -c)" -eq 0 ]] || fail "$1: erase left programmed bytes"
}
check 232h w25q16jv "EF 40 15" 0x10000
check 2232h mx25l25645g "C2 20 19" 0x1000000
echo "PASS"
