#!/usr/bin/env bash
# Proves an installed flashrig works with nothing of the repository around it: installs
# BUILD_DIR into a fresh temporary prefix, then from another directory and without
# LD_LIBRARY_PATH runs the installed CLI (part database found by name), builds and runs
# examples/consumer against the prefix with find_package(flashrig 0.2) and again with
# pkg-config, moves the prefix and runs the CLI again (relocatable).
#   scripts/check_install.sh BUILD_DIR
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "$1" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "check_install: FAIL: $*" >&2; exit 1; }
unset LD_LIBRARY_PATH

prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
shared="$(grep -c '\.so' "$work/install.log" || true)"
echo "check_install: installed $(grep -c Installing "$work/install.log") files into $prefix" \
  "($([[ $shared -gt 0 ]] && echo shared || echo static) libraries)"
for f in bin/flashrig share/flashrig/parts/w25q128jv.json share/flashrig/schema/campaign.schema.json \
         lib/udev/rules.d/99-flashrig-ftdi.rules lib/pkgconfig/flashrig.pc \
         lib/cmake/flashrig/flashrigConfig.cmake lib/cmake/flashrig/flashrigConfigVersion.cmake \
         include/flashrig/driver/flash/ram_flash.h include/flashrig/kvstore/kv_store.h; do
  [[ -e "$prefix/$f" ]] || fail "$f was not installed"
done

run_cli() {  # PREFIX: the installed CLI, from an unrelated directory
  (cd "$work" && "$1/bin/flashrig" parts) >"$work/parts.txt" || fail "flashrig parts failed (in $1)"
  grep -q W25Q128JV "$work/parts.txt" || fail "flashrig parts (in $1) lists no W25Q128JV"
  # From the installed tree, not from the source tree the binary was built from.
  grep -qF "part(s) from $1/share/flashrig/parts" "$work/parts.txt" ||
    fail "the parts did not come from $1/share/flashrig/parts: $(tail -1 "$work/parts.txt")"
  (cd "$work" && "$1/bin/flashrig" probe --target sim:w25q128jv) >"$work/probe.txt" ||
    fail "flashrig probe --target sim:w25q128jv failed (in $1)"
  grep -q "EF 40 18" "$work/probe.txt" || fail "probe printed no JEDEC ID: $(cat "$work/probe.txt")"
  if ldd "$1/bin/flashrig" | grep -q "not found"; then fail "unresolved libraries: $(ldd "$1/bin/flashrig")"; fi
}
run_cli "$prefix"
if [[ $shared -gt 0 ]]; then
  # ldd prints $ORIGIN-relative paths as found (PREFIX/bin/../lib/...): compare real paths.
  config_lib="$(ldd "$prefix/bin/flashrig" | awk '/libflashrig_hil_config\.so/ { print $3 }')"
  [[ -n "$config_lib" && "$(realpath "$config_lib")" == "$(realpath "$prefix")"/lib/* ]] ||
    fail "the CLI does not load flashrig's own libraries from the prefix (RPATH): ${config_lib:-not linked}"
fi

# find_package(flashrig 0.2): the consumer project, configured against the prefix only.
cmake -S "$repo/examples/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$work/consumer.log" || { cat "$work/consumer.log"; fail "consumer configure"; }
cmake --build "$work/consumer" >>"$work/consumer.log" || { cat "$work/consumer.log"; fail "consumer build"; }
(cd "$work" && "$work/consumer/flashrig_consumer") || fail "the consumer program failed"
(cd "$work" && "$work/consumer/flashrig_consumer_hil") >/dev/null || fail "the consumer program linked with flashrig::hil failed"
# A version the package does not satisfy is refused.
if cmake -S "$repo/examples/consumer" -B "$work/consumer-0.3" -DCMAKE_PREFIX_PATH="$prefix" \
    -DFLASHRIG_CONSUMER_VERSION=0.3 >/dev/null 2>&1; then
  fail "find_package(flashrig 0.3) accepted 0.2"
fi

# pkg-config: the same program, compiled by hand (with an RPATH to the prefix, as a user of
# shared libraries outside the loader's paths does; static builds ignore it).
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
g++ -O1 -o "$work/consumer-pc" "$repo/examples/consumer/main.cc" \
  -DFLASHRIG_PARTS_DIR="\"$(pkg-config --variable=datadir flashrig)/parts\"" \
  $(pkg-config --cflags --libs flashrig) -Wl,-rpath,"$(pkg-config --variable=libdir flashrig)" ||
  fail "build with pkg-config flashrig"
(cd "$work" && "$work/consumer-pc") >/dev/null || fail "the pkg-config build of the consumer failed"

# Relocatable: the same tree under another name still finds its parts and libraries.
mv "$prefix" "$work/moved"
run_cli "$work/moved"
echo "check_install: ok (CLI from the prefix, find_package consumer, pkg-config consumer, relocated)"
