#!/usr/bin/env bash
# GPU benchmark (issue #5 shapes) in two halves, like scripts/gpu-check.sh:
#   bash bench/gpu/run.sh prepare [--only CASE ...]
#                                   here: artifacts + inputs into build-gpu/bench
#   bash bench/gpu/run.sh device    on the GPU machine, with build-gpu and
#                                   third_party_peers (fla's and mamba_ssm's
#                                   source) carried;
#                                   prints the table (and writes $OUT/bench-gpu.txt)
#   bash bench/gpu/run.sh profile CASE ...
#                                   after `device` (which writes each case's
#                                   inputs): ncu's time and registers per kernel
# Results go to bench/results/gpu-<date>-<commit>.txt with the machine line.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
case "${1:-}" in
  prepare)
    bash scripts/build.sh >/dev/null
    rm -rf build-gpu/bench
    shift
    /usr/bin/python3 bench/gpu/cases.py prepare --hymir-compile build/bin/hymir-compile \
      --out build-gpu/bench "$@"
    ;;
  device)
    shift
    if [ ! -x build-rt/hymir-rt-run ]; then
      cmake -S runtime -B build-rt -DCMAKE_BUILD_TYPE=Release \
        -DHYMIR_RT_BUILD_TESTS=OFF -DHYMIR_RT_CUDA=ON >/dev/null
      cmake --build build-rt -j >/dev/null
    fi
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    python3 bench/gpu/cases.py device --runner build-rt/hymir-rt-run \
      --cases build-gpu/bench --fla third_party_peers --mamba third_party_peers/mamba "$@" | tee "${OUT:-build-gpu}/bench-gpu.txt"
    ;;
  profile)
    shift
    ncu="$(command -v ncu || echo /usr/local/cuda/bin/ncu)"
    for c in "$@"; do
      d=build-gpu/bench/$c
      echo "== $c"
      "$ncu" --metrics gpu__time_duration.sum,launch__registers_per_thread \
        build-rt/hymir-rt-run "$d/artifact" $(ls "$d"/in*.npy | sort | sed 's/^/--input=/') \
        --output="$d/out" 2>&1 | grep -E "main_kernel|duration|registers"
    done
    ;;
  *)
    echo "usage: bench/gpu/run.sh prepare|device|profile" >&2
    exit 2
    ;;
esac
