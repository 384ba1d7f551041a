#!/usr/bin/env bash
# Installs the Debian 12 packages ccbt needs to build, test and benchmark.
# Idempotent: only missing packages are installed. Needs root (apt-get).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  g++-12 clang-14 lld-14 libclang-rt-14-dev
  libboost1.81-dev libssl-dev libtomlplusplus-dev libcli11-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libsqlite3-dev liburing-dev
  libncurses-dev libminiupnpc-dev libnatpmp-dev libexpected-dev
  librust-blake3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-libtorrent transmission-cli opentracker
  openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "ccbt: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "ccbt: these Debian packages are missing and installing them needs root:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
