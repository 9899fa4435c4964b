#!/usr/bin/env bash
# The GPU test protocol (DESIGN.md §6) in two halves, because no machine has
# both the compiler and a GPU:
#
#   scripts/gpu-check.sh prepare [--grid full|ci] [--only NAME ...]
#       here: compiles every gallery case with hymir-compile --target=cuda
#       and writes inputs + float64 oracle results into build-gpu/cases;
#   scripts/gpu-check.sh device
#       on the GPU machine (carry build-gpu): builds the runtime alone with
#       CMake + CUDA (build-rt/), runs every case with hymir-rt-run and
#       compares there; the summary goes to $OUT/gpu-summary.txt (or
#       build-gpu/), last line 'N passed, M failed'.
#
# With the device tool: prepare here, then one call
#   run(command="bash scripts/gpu-check.sh device", carry=["build-gpu"]).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="${1:-}"
shift || true
case "$mode" in
  prepare)
    bash scripts/build.sh >/dev/null
    rm -rf build-gpu/cases
    /usr/bin/python3 test/python/gpu_cases.py prepare \
      --hymir-compile build/bin/hymir-compile --examples examples/ops \
      --out build-gpu/cases "$@"
    du -sh build-gpu
    ;;
  device)
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
    cmake -S runtime -B build-rt -DCMAKE_BUILD_TYPE=Release \
      -DHYMIR_RT_BUILD_TESTS=OFF -DHYMIR_RT_CUDA=ON >/dev/null
    cmake --build build-rt -j >/dev/null
    out="${OUT:-build-gpu}"
    mkdir -p "$out"
    python3 test/python/gpu_cases.py run --runner build-rt/hymir-rt-run \
      --cases build-gpu/cases --summary "$out/gpu-summary.txt" "$@"
    ;;
  *)
    echo "usage: scripts/gpu-check.sh prepare|device [options]" >&2
    exit 2
    ;;
esac
