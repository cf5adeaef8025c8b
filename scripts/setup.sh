#!/usr/bin/env bash
# Installs every Debian package irqshape's build, tests and tools need.
# Idempotent: packages already present are left alone; `apt-get update` runs once
# (only when something is missing). Runs as root, or through sudo.
set -euo pipefail

packages=(
  # toolchain and build
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang lld libclang-rt-14-dev llvm clang-format
  # test and benchmark frameworks
  libgtest-dev libgmock-dev libbenchmark-dev
  # libraries
  libcli11-dev libfmt-dev libtomlplusplus-dev nlohmann-json3-dev
  # tracing (issue: real interrupt traces)
  libtracefs-dev libtraceevent-dev libtracecmd-dev trace-cmd
  libzstd-dev  # trace-cmd .dat v7 files are zstd-compressed
  # the bootable guest image runs under QEMU TCG
  qemu-system-x86
  # telemetry endpoint and its integration test
  libcpp-httplib-dev prometheus curl
  # HTML report checked in a headless browser
  chromium
  # used by tests that inspect binaries
  binutils python3
  # scripts/isu_cost.sh: the ISU's cost per interrupt in instructions (callgrind)
  valgrind
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
