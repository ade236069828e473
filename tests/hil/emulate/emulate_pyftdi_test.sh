#!/usr/bin/env bash
# Debian's python3-ftdi (pyftdi over pyusb) through `flashrig emulate`, with Debian's
# /usr/bin/python3 (where the package installs): the session in pyftdi_session.py on an
# FT232H and an FT2232H (W25Q16JV) and an FT4232H (MX25L25645G), with --strict so any
# emulator complaint fails it; and an undefined opcode, which pyftdi gets echoed (FAh A5h)
# and which --strict turns into exit 1.
#   emulate_pyftdi_test.sh FLASHRIG   (run from the repository root)
set -euo pipefail
flashrig="$1"
here="$(dirname "${BASH_SOURCE[0]}")"
python=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$python" -c 'import pyftdi' 2>/dev/null || fail "python3-ftdi is not installed (scripts/setup.sh)"
run() {  # ftdi part jedec [extra emulate options]
  "$flashrig" emulate --strict --ftdi "$1" --part "configs/parts/$2.json" "${@:4}" -- \
    "$python" "$here/pyftdi_session.py" "$3" >"$work/out" 2>&1 \
    || { cat "$work/out" >&2; fail "$1/$2: exit $?"; }
  grep -q "^PASS" "$work/out" || { cat "$work/out" >&2; fail "$1/$2: no PASS"; }
}
run 232h w25q16jv ef4015
sed 's/^/  /' "$work/out"
run 2232h w25q16jv ef4015
run 4232h mx25l25645g c22019
# At datasheet pace the client's polls find the chip busy (45 ms sector erase).
run 232h w25q16jv ef4015 --no-fast-forward
grep -Eq "sector erase done after [1-9][0-9]* busy polls" "$work/out" \
  || { cat "$work/out"; fail "no busy polls at datasheet pace"; }

# An undefined opcode: echoed as the chip does; a complaint on stderr; --strict: exit 1.
set +e
"$flashrig" emulate --part configs/parts/w25q16jv.json -- \
  "$python" "$here/pyftdi_session.py" ef4015 --bad-opcode >"$work/out" 2>"$work/err"
rc=$?
"$flashrig" emulate --strict --part configs/parts/w25q16jv.json -- \
  "$python" "$here/pyftdi_session.py" ef4015 --bad-opcode >/dev/null 2>&1
strict_rc=$?
set -e
[[ $rc -eq 0 ]] || { cat "$work/out" "$work/err"; fail "bad opcode without --strict exited $rc"; }
grep -q "ok: bad command echo" "$work/out" || fail "no FAh A5h echo"
grep -q "channel A: opcode A5h is not an MPSSE command of the FT232H" "$work/err" \
  || { cat "$work/err"; fail "no complaint on stderr"; }
[[ $strict_rc -eq 1 ]] || fail "--strict with a complaint exited $strict_rc, expected 1"
echo "PASS"
