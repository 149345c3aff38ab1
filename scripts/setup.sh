#!/usr/bin/env bash
# Installs every Debian package reco needs (idempotent, non-interactive), then builds Release.
#   scripts/setup.sh            install missing packages + configure + build
#   scripts/setup.sh --deps     install packages only
#   scripts/setup.sh --bench-deps  also the peers the benchmarks run (PyTorch, OpenBLAS as libblas)
#   BUILD_DIR=build-x scripts/setup.sh   another build directory
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libxxhash-dev
  libfmt-dev libspdlog-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  libopenblas-dev libeigen3-dev libdnnl-dev
  libhnswlib-dev libxgboost-dev libcpp-httplib-dev librocksdb-dev
  libopenmpi-dev openmpi-bin
  python3 python3-numpy python3-pandas python3-sklearn
  chromium nodejs wrk
)
# Peers for bench/ only (not needed to build or test): PyTorch, and OpenBLAS registered as
# the system libblas.so.3 so Debian's torch does not fall back to reference BLAS
# (shared/docs/measuring.md).
if [ "${1:-}" = "--bench-deps" ]; then
  PACKAGES+=(python3-torch libopenblas0-pthread)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "[setup] installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "[setup] all ${#PACKAGES[@]} packages present"
fi

# The browser test of the web page drives Debian's chromium with playwright-core, pinned in
# tests/web/package-lock.json (npm ci; skipped when node_modules is current).
bash tests/web/setup.sh || echo "[setup] warning: tests/web/setup.sh failed; the web page tests will skip"

if [ "${1:-}" = "--deps" ] || [ "${1:-}" = "--bench-deps" ]; then exit 0; fi

BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-$(nproc)}"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "[setup] built $BUILD_DIR/apps/reco/reco"
