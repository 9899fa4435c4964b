#!/usr/bin/env bash
# The GPU test protocol (DESIGN.md §6) in two halves, because no machine has
# both the compiler and a GPU:
#
#   scripts/gpu-check.sh prepare [--grid full|ci] [--only NAME ...]
#       here: compiles every gallery case with hymir-compile --target=cuda
#       and writes inputs + float64 oracle results into build-gpu/cases,
#       plus the bf16 tensor-core cases (gpu_cases.py --tensor-cores);
#       then every tiny model config (examples/models/configs/tiny-*.json:
#       hymir-import, random weights) into model artifacts with the
#       reference's greedy ids and prefill logits, into build-gpu/models
#       (test/python/gpu_models.py; HYMIR_GPU_MODELS=0 skips them,
#       HYMIR_GPU_GALLERY=0 the gallery);
#   scripts/gpu-check.sh device
#       on the GPU machine (carry build-gpu): builds the runtime alone with
#       CMake + CUDA (build-rt/), runs every case with hymir-rt-run and
#       compares there (models: ids equal, logits relative RMS <= 1e-4); the
#       summaries go to $OUT/gpu-summary.txt and $OUT/gpu-models.txt (or
#       build-gpu/), last line 'N passed, M failed'.
#
# With the device tool: prepare here, then one call
#   run(command="bash scripts/gpu-check.sh device",
#       carry=["build-gpu/cases.tar.xz", "build-gpu/models.tar.xz"])
# (a call carries at most 64 MiB: cases and models travel as xz archives,
# about 53 + 3 MB; the bf16-rounded inputs compress about 2x).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="${1:-}"
shift || true
case "$mode" in
  prepare)
    bash scripts/build.sh >/dev/null
    rm -rf build-gpu/cases
    if [ "${HYMIR_GPU_GALLERY:-1}" != 0 ]; then
      /usr/bin/python3 test/python/gpu_cases.py prepare \
        --hymir-compile build/bin/hymir-compile --examples examples/ops \
        --out build-gpu/cases --tensor-cores "$@"
    fi
    if [ "${HYMIR_GPU_MODELS:-1}" != 0 ]; then
      rm -rf build-gpu/models
      /usr/bin/python3 test/python/gpu_models.py prepare --bin build/bin \
        --configs examples/models/configs --out build-gpu/models
    fi
    # The device call carries at most 64 MiB: the models travel compressed,
    # without their .mlir (carry build-gpu/models.tar.xz alone if the gallery
    # cases are not needed).
    if [ -d build-gpu/models ]; then
      tar -cJf build-gpu/models.tar.xz --exclude='*.mlir' -C build-gpu models
    fi
    rm -f build-gpu/cases.tar.xz
    if [ -d build-gpu/cases ]; then  # without the PTX, checked here already
      tar -C build-gpu --exclude='*.ptx' -cf - cases | xz -T0 -6 > build-gpu/cases.tar.xz
    fi
    du -sh build-gpu
    ;;
  device)
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
    cmake -S runtime -B build-rt -DCMAKE_BUILD_TYPE=Release \
      -DHYMIR_RT_BUILD_TESTS=OFF -DHYMIR_RT_CUDA=ON >/dev/null
    cmake --build build-rt -j >/dev/null
    # A warm machine keeps the last call's unpacked cases: unpack a newer
    # archive over a fresh folder.
    for set in models cases; do
      if [ -f "build-gpu/$set.tar.xz" ] &&
         [ "build-gpu/$set.tar.xz" -nt "build-gpu/$set/manifest.json" ]; then
        rm -rf "build-gpu/$set"
        tar -xJf "build-gpu/$set.tar.xz" -C build-gpu
        touch "build-gpu/$set/manifest.json"
      fi
    done
    out="${OUT:-build-gpu}"
    mkdir -p "$out"
    status=0
    if [ -d build-gpu/cases ]; then
      python3 test/python/gpu_cases.py run --runner build-rt/hymir-rt-run \
        --cases build-gpu/cases --summary "$out/gpu-summary.txt" "$@" || status=1
    fi
    if [ -f build-gpu/models/manifest.json ]; then
      python3 test/python/gpu_models.py run --runner build-rt/hymir-rt-run \
        --cases build-gpu/models --summary "$out/gpu-models.txt" || status=1
    fi
    exit $status
    ;;
  *)
    echo "usage: scripts/gpu-check.sh prepare|device [options]" >&2
    exit 2
    ;;
esac
