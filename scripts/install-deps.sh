#!/usr/bin/env bash
# Installs the Debian 12 packages Hymir needs, if any is missing (run as root).
# LLVM/MLIR 22 come from Debian's bookworm packages; see shared/TOOLCHAIN.md.
set -euo pipefail

packages=(cmake ninja-build python3 python3-numpy libgtest-dev
          llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
          libomp-22-dev libclang-rt-22-dev
          python3-torch libopenblas0-pthread
          xz-utils)  # scripts/gpu-check.sh packs the device's cases with xz

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "hymir: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
