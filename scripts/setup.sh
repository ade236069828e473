#!/usr/bin/env bash
# Installs flashrig's Debian packages (idempotent; as root or via sudo) and configures a
# build directory.
#   scripts/setup.sh [--no-configure]            configure ./build with g++
#   FLASHRIG_BUILD_DIR=build-asan CXX=clang++ scripts/setup.sh -DFLASHRIG_SANITIZE=address,undefined
# Extra arguments are passed to cmake.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${FLASHRIG_BUILD_DIR:-build}"
configure=1
if [[ "${1:-}" == "--no-configure" ]]; then
  configure=0
  shift
fi

packages=(
  g++ clang-14 clang libclang-rt-14-dev cmake ninja-build pkg-config
  libftdi1-dev libusb-1.0-0-dev nlohmann-json3-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libfmt-dev libspdlog-dev
  clang-format-14 python3 python3-jsonschema flashrom ccache python3-ftdi
  umockdev libumockdev-dev
  dpkg-dev slurm-wlm munge
)
# cargo builds the TicKV oracle (the real crate, ../shared/oracles/tickv) for the interop
# tests. Any cargo on PATH will do; only without one is Debian's installed.
if ! command -v cargo >/dev/null 2>&1; then
  packages+=(cargo)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    sudo_cmd=()
  elif command -v sudo >/dev/null; then
    sudo_cmd=(sudo)
  else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages already installed"
fi

if ((configure)); then
  cd "$repo_root"
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER="${CXX:-g++}" "$@"
fi
