#!/usr/bin/env bash
# The package: cmake --install of the Release build (static libraries) and of a shared
# build into temporary prefixes, each proven by scripts/check_install.sh (installed CLI,
# find_package and pkg-config consumers, relocated prefix); then cpack's .deb, whose
# named dependencies must cover what dpkg-shlibdeps finds, and whose CLI runs unpacked.
# budget: 900
set -euo pipefail
[[ -x build-release/hil/flashrig ]] || { echo "45-install: run 20-gcc-release first" >&2; exit 1; }
bash scripts/check_install.sh build-release

cmake -S . -B build-shared -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON -DFLASHRIG_BUILD_TESTS=OFF -DFLASHRIG_BUILD_BENCH=OFF \
  -DFLASHRIG_WERROR=ON >/dev/null
cmake --build build-shared -j "$(nproc)"
bash scripts/check_install.sh build-shared

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd build-release && cpack -G DEB -B "$work/deb" >/dev/null)
deb="$(ls "$work"/deb/flashrig_*.deb)"
echo "45-install: $(basename "$deb"), $(du -h "$deb" | cut -f1)"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "45-install: Depends: $depends"
dpkg-deb -x "$deb" "$work/root"
# What the binaries really load, by Debian package (dpkg-shlibdeps wants a debian/ dir).
mkdir -p "$work/shlibs/debian"
printf 'Source: flashrig\n\nPackage: flashrig\nArchitecture: any\n' >"$work/shlibs/debian/control"
needed="$(cd "$work/shlibs" && dpkg-shlibdeps -O "$work/root/usr/bin/flashrig" 2>/dev/null |
  sed 's/^shlibs:Depends=//' | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u)"
named="$(tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//' | sort -u)"
if [[ "$needed" != "$named" ]]; then
  echo "45-install: .deb names: $(echo $named); dpkg-shlibdeps finds: $(echo $needed)" >&2
  exit 1
fi
echo "45-install: Depends names exactly the $(echo $needed | wc -w) packages dpkg-shlibdeps finds"
(cd "$work" && "$work/root/usr/bin/flashrig" probe --target sim:w25q16jv | grep -q "EF 40 15")
echo "45-install: unpacked .deb CLI finds its part database"
