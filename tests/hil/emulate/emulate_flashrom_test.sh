#!/usr/bin/env bash
# Debian's flashrom (ft2232_spi over libftdi1 + libusb) through `flashrig emulate`, as a
# user types it: on an FT232H with a W25Q16JV (probe, write a random image, verify, read
# back, erase) and with an MX25L25645G (4-byte addresses: a region above 16 MiB), and on
# an FT2232H and an FT4232H (type=2232H/4232H,port=A: probe and read).
#   emulate_flashrom_test.sh FLASHRIG full|quick   (run from the repository root)
# quick (the sanitizer builds) writes a 64 KiB region of the W25Q16JV instead of all of it.
set -euo pipefail
flashrig="$1"
mode="${2:-full}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
parts=configs/parts

fail() { echo "FAIL: $*" >&2; exit 1; }
# Runs flashrom inside `flashrig emulate ARGS`; its log goes to $work/log.
emu() {
  local args=()
  while [[ "$1" != "--" ]]; do args+=("$1"); shift; done
  shift
  "$flashrig" emulate --strict "${args[@]}" -- flashrom "$@" >"$work/log" 2>&1 \
    || { cat "$work/log" >&2; fail "flashrom $* exited $?"; }
}
erased() { [[ "$(tr -d '\377' <"$1" | wc -c)" -eq 0 ]]; }
# Bytes [offset, offset+length) of a file.
slice() { tail -c "+$(($2 + 1))" "$1" | head -c "$3"; }

# --- FT232H + W25Q16JV -------------------------------------------------------------
chip="$work/w25q16jv.bin"
p="ft2232_spi:type=232H"
emu --part "$parts/w25q16jv.json" --image "$chip" -- -p "$p"
grep -q 'Found Winbond flash chip "W25Q16.V" (2048 kB, SPI) on ft2232_spi' "$work/log" \
  || { cat "$work/log"; fail "flashrom did not find the W25Q16JV"; }
head -c 2097152 /dev/urandom >"$work/random.bin"
if [[ "$mode" == full ]]; then
  emu --part "$parts/w25q16jv.json" --image "$chip" -- -p "$p" -w "$work/random.bin"
  grep -q "VERIFIED" "$work/log" || fail "write was not verified"
  cmp "$chip" "$work/random.bin" || fail "the chip image differs from what flashrom wrote"
  emu --part "$parts/w25q16jv.json" --image "$chip" -- -p "$p" -v "$work/random.bin"
  emu --part "$parts/w25q16jv.json" --image "$chip" -- -p "$p" -r "$work/back.bin"
  cmp "$work/back.bin" "$work/random.bin" || fail "read-back differs"
  emu --part "$parts/w25q16jv.json" --image "$chip" -- -p "$p" -E
  erased "$chip" || fail "-E left programmed bytes"
else
  printf '0x00010000:0x0001ffff part\n' >"$work/layout16"
  head -c 2097152 /dev/zero | tr '\0' '\377' >"$work/ff.bin"
  emu --part "$parts/w25q16jv.json" --image "$chip" -- -p "$p" -l "$work/layout16" -i part -N \
    --flash-contents "$work/ff.bin" -w "$work/random.bin"
  grep -q "VERIFIED" "$work/log" || fail "region write was not verified"
  cmp <(slice "$chip" 65536 65536) <(slice "$work/random.bin" 65536 65536) || fail "region differs"
  emu --part "$parts/w25q16jv.json" --image "$chip" -- -p "$p" -r "$work/back.bin"
  cmp "$work/back.bin" "$chip" || fail "read-back differs"
  emu --part "$parts/w25q16jv.json" --image "$chip" -- -p "$p" -l "$work/layout16" -i part -N \
    --flash-contents "$work/back.bin" -E
  erased "$chip" || fail "region erase left programmed bytes"
fi

# --- FT232H + MX25L25645G (32 MiB, 4-byte addressing) ---------------------------------
# A 64 KiB region at 16 MiB: reachable only with 4-byte addresses. --flash-contents and -N
# spare the two full 32 MiB reads flashrom would otherwise make.
mx="$work/mx25l25645g.bin"
printf '0x01000000:0x0100ffff top\n' >"$work/layout"
head -c 33554432 /dev/zero | tr '\0' '\377' >"$work/ff32.bin"
cp "$work/ff32.bin" "$work/mx-image.bin"
head -c 65536 /dev/urandom | dd of="$work/mx-image.bin" bs=65536 seek=256 conv=notrunc status=none
emu --part "$parts/mx25l25645g.json" --image "$mx" -- -p "$p"
grep -q 'Found Macronix flash chip "MX25L25635F/MX25L25645G" (32768 kB, SPI)' "$work/log" \
  || { cat "$work/log"; fail "flashrom did not find the MX25L25645G"; }
emu --part "$parts/mx25l25645g.json" --image "$mx" -- -p "$p" -l "$work/layout" -i top -N \
  --flash-contents "$work/ff32.bin" -w "$work/mx-image.bin"
grep -q "VERIFIED" "$work/log" || fail "4-byte region write was not verified"
cmp "$mx" "$work/mx-image.bin" || fail "the 32 MiB image differs after the region write"
emu --part "$parts/mx25l25645g.json" --image "$mx" -- -p "$p" -l "$work/layout" -i top \
  -r "$work/mx-back.bin"
cmp <(slice "$work/mx-back.bin" 16777216 65536) <(slice "$work/mx-image.bin" 16777216 65536) \
  || fail "4-byte region read-back differs"
emu --part "$parts/mx25l25645g.json" --image "$mx" -- -p "$p" -l "$work/layout" -i top -N \
  --flash-contents "$work/mx-image.bin" -E
erased "$mx" || fail "4-byte region erase left programmed bytes"

# --- FT2232H and FT4232H, port A -------------------------------------------------------
for ftdi in 2232h 4232h; do
  type="${ftdi^^}"
  head -c 2097152 /dev/urandom >"$work/$ftdi.bin"
  emu --ftdi "$ftdi" --part "$parts/w25q16jv.json" --image "$work/$ftdi.bin" -- \
    -p "ft2232_spi:type=$type,port=A" -r "$work/$ftdi-back.bin"
  grep -q 'Found Winbond flash chip "W25Q16.V"' "$work/log" || fail "$type: no chip found"
  cmp "$work/$ftdi.bin" "$work/$ftdi-back.bin" || fail "$type: read-back differs"
done
echo "PASS ($mode)"
