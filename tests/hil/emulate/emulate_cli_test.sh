#!/usr/bin/env bash
# `flashrig emulate` itself: COMMAND's exit code, working directory and environment
# (FLASHRIG_FTDI_URL/SERIAL, fixed default serial), the testbed it sees (only the emulated
# USB tree), quiet stdout unless --verbose, --image loaded and saved through a temporary
# file and a rename (also when COMMAND is stopped by SIGTERM or SIGINT, which reach it),
# several clients in one session, bad input, and the same run under umockdev-wrapper.
#   emulate_cli_test.sh FLASHRIG   (run from the repository root)
set -euo pipefail
flashrig="$(realpath "$1")"
part="$(realpath configs/parts/w25q16jv.json)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
emu() { "$flashrig" emulate --part "$part" "$@"; }

# Exit code and quiet stdout.
set +e
out="$(emu -- sh -c 'exit 7')"
rc=$?
set -e
[[ $rc -eq 7 ]] || fail "COMMAND's exit code 7 came back as $rc"
[[ -z "$out" ]] || fail "stdout not quiet without --verbose: $out"

# Working directory, environment, and what COMMAND sees of USB.
mkdir "$work/cwd"
(cd "$work/cwd" && MY_VAR=kept emu -- sh -c \
  'echo "$PWD|$MY_VAR|$FLASHRIG_FTDI_URL|$FLASHRIG_FTDI_SERIAL"; ls /sys/bus/usb/devices; for a in idProduct serial; do echo "$(cat /sys/bus/usb/devices/1-1/$a)"; done' \
  >"$work/env.txt")
grep -qx "$work/cwd|kept|ftdi://ftdi:232h:FREMU0001/1|FREMU0001" "$work/env.txt" \
  || { cat "$work/env.txt"; fail "cwd/env not as expected"; }
[[ "$(grep -cE '^(usb1|1-1)$' "$work/env.txt")" -eq 2 ]] || fail "the testbed's USB tree is not usb1 + 1-1"
grep -qx "6014" "$work/env.txt" || fail "idProduct is not 6014"
emu --ftdi 4232h --serial MYSER42 -- sh -c \
  'echo "$FLASHRIG_FTDI_URL"; for a in idProduct bcdDevice; do echo "$(cat /sys/bus/usb/devices/1-1/$a)"; done' \
  >"$work/quad.txt"
[[ "$(tr '\n' ' ' <"$work/quad.txt")" == "ftdi://ftdi:4232h:MYSER42/1 6011 0800 " ]] \
  || { cat "$work/quad.txt"; fail "--ftdi 4232h --serial"; }

# --verbose names the device on stdout.
emu --verbose -- true >"$work/verbose.txt"
grep -q "ftdi://ftdi:232h:FREMU0001/1" "$work/verbose.txt" || fail "--verbose does not print the URL"
grep -q "ft2232_spi:type=232H,port=A,serial=FREMU0001" "$work/verbose.txt" \
  || fail "--verbose does not print the flashrom programmer"
grep -q "COMMAND exited 0" "$work/verbose.txt" || fail "--verbose does not print the summary"

# --image: created when missing, loaded when present, saved by rename (no temp left).
head -c 8192 /dev/urandom >"$work/data.bin"
emu --image "$work/img/chip.bin" -- true 2>"$work/err.txt" && fail "an image in a missing directory was saved"
mkdir "$work/img"
emu --image "$work/img/chip.bin" -- sh -c \
  "'$flashrig' write --target \"\$FLASHRIG_FTDI_URL\" --image '$work/data.bin' --range 0x3000+8192 --verify >/dev/null && '$flashrig' probe --target \"\$FLASHRIG_FTDI_URL\" >/dev/null"
[[ "$(stat -c %s "$work/img/chip.bin")" -eq 2097152 ]] || fail "image not saved at full size"
[[ "$(ls "$work/img")" == "chip.bin" ]] || fail "temporary files left: $(ls "$work/img")"
cmp <(tail -c +$((0x3000 + 1)) "$work/img/chip.bin" | head -c 8192) "$work/data.bin" || fail "saved image lacks the data"
emu --image "$work/img/chip.bin" -- "$flashrig" read --target ftdi://ftdi:232h/1 \
  --image "$work/back.bin" --range 0x3000+8192 >/dev/null
cmp "$work/back.bin" "$work/data.bin" || fail "the image was not loaded"

# SIGTERM and SIGINT to flashrig reach COMMAND, and the image is still saved.
set -m  # Background jobs in their own process group, with SIGINT not ignored.
for sig in TERM INT; do
  rm -f "$work/ready"
  "$flashrig" emulate --part "$part" --image "$work/img/sig.bin" -- sh -c \
    "'$flashrig' write --target \"\$FLASHRIG_FTDI_URL\" --image '$work/data.bin' --range 0+8192 >/dev/null; touch '$work/ready'; exec sleep 60" &
  pid=$!
  for _ in $(seq 100); do [[ -e "$work/ready" ]] && break; sleep 0.1; done
  [[ -e "$work/ready" ]] || fail "COMMAND did not get going"
  start=$SECONDS
  kill -s "$sig" "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
  want=$((128 + $(kill -l "$sig")))
  [[ $rc -eq $want ]] || fail "SIG$sig: exit $rc, expected $want (sh killed by SIG$sig)"
  ((SECONDS - start < 10)) || fail "SIG$sig: took $((SECONDS - start)) s"
  cmp <(head -c 8192 "$work/img/sig.bin") "$work/data.bin" || fail "SIG$sig: image not saved"
  rm "$work/img/sig.bin"
done
set +m
# Ctrl-C on a terminal: the tty sends SIGINT to the whole foreground process group, so
# COMMAND has it already (flashrig does not send it twice) and the image is still saved.
python3 - "$flashrig" "$part" "$work" "$(command -v sh)" <<'PY'
import os, pty, sys, time
flashrig, part, work, sh = sys.argv[1:5]
script = (f"'{flashrig}' write --target \"$FLASHRIG_FTDI_URL\" --image '{work}/data.bin'"
          f" --range 0+8192 >/dev/null; touch '{work}/tty-ready'; exec sleep 60")
pid, fd = pty.fork()
if pid == 0:
    os.execv(flashrig, [flashrig, "emulate", "--part", part, "--image", f"{work}/img/tty.bin",
                        "--", sh, "-c", script])
deadline = time.time() + 20
while not os.path.exists(f"{work}/tty-ready") and time.time() < deadline:
    time.sleep(0.05)
start = time.time()
os.write(fd, b"\x03")
while True:
    try:
        if not os.read(fd, 4096):
            break
    except OSError:
        break
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
if code != 130 or time.time() - start > 10:
    sys.exit(f"FAIL: Ctrl-C: exit {code} after {time.time() - start:.1f} s, expected 130")
PY
cmp <(head -c 8192 "$work/img/tty.bin") "$work/data.bin" || fail "Ctrl-C: image not saved"

# Bad input: exit 2 with a message naming what is wrong; nothing runs.
expect_bad() {  # code pattern args...
  local code="$1" pattern="$2"
  shift 2
  set +e
  "$flashrig" emulate "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  set -e
  [[ $rc -eq $code ]] || fail "emulate $*: exit $rc, expected $code"
  grep -q "$pattern" "$work/err.txt" || { cat "$work/err.txt"; fail "emulate $*: no '$pattern'"; }
  [[ ! -e "$work/ran" ]] || fail "emulate $*: COMMAND ran"
}
expect_bad 2 "expected 232h, 2232h or 4232h" --ftdi 232r --part "$part" -- touch "$work/ran"
expect_bad 2 "no-such.json" --part no-such.json -- touch "$work/ran"
expect_bad 2 "NOPART" --part NOPART -- touch "$work/ran"
head -c 100 /dev/zero >"$work/short.bin"
expect_bad 2 "not a 2097152-byte image of the W25Q16JV" --part "$part" --image "$work/short.bin" -- touch "$work/ran"
expect_bad 2 "no COMMAND" --part "$part"
expect_bad 127 "no-such-command: command not found" --part "$part" -- no-such-command

# Under umockdev-wrapper (flashrig itself preloaded) it works the same.
umockdev-wrapper "$flashrig" emulate --part "$part" -- sh -c \
  "'$flashrig' probe --target \"\$FLASHRIG_FTDI_URL\"" >"$work/wrapped.txt"
grep -q "EF 40 15" "$work/wrapped.txt" || { cat "$work/wrapped.txt"; fail "under umockdev-wrapper"; }
echo "PASS"
