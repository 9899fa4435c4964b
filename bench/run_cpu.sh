#!/usr/bin/env bash
# Runs the CPU benchmark (bench/README.md) at 1 and 2 threads and writes the
# output to bench/results/cpu-<date>-<commit>.txt (and to stdout).
#
#   bash bench/run_cpu.sh                 # the issue's shapes (T = 4096)
#   bash bench/run_cpu.sh --T 1024        # extra arguments go to hymir-bench
#   BUILD=build-rel bash bench/run_cpu.sh # another build directory
#
# Needs a build with the bench (HYMIR_BUILD_BENCH=ON, the default) and, for the
# peers, Debian's python3-torch with OpenBLAS (installed here when missing and
# run as root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}

if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "hymir-bench: installing python3-torch libopenblas0-pthread" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch \
      libopenblas0-pthread >/dev/null
  else
    echo "hymir-bench: /usr/bin/python3 has no torch (apt-get install python3-torch" \
         "libopenblas0-pthread); running without peers" >&2
    set -- --no-peers "$@"
  fi
fi

ninja -C "$build" hymir-bench >/dev/null
commit=$(git -C "$root" rev-parse --short HEAD)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  commit="$commit+uncommitted"
fi
# Large allocations (results, the decode state) on transparent huge pages, for
# Hymir and the peers alike: with 4 KiB pages, first-touch faults of a fresh
# 64 MiB state cost more than reading it (bench/README.md).
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}
mkdir -p "$root/bench/results"
out="$root/bench/results/cpu-$(date +%Y-%m-%d)-${commit%+*}.txt"
"$build/bin/hymir-bench" --thread-counts 1,2 --commit "$commit" "$@" | tee "$out"
echo "hymir-bench: wrote $out" >&2
