#!/usr/bin/env bash
# Numerics at length, out of CI: test/python/check_long.py with the cheap ops
# (short conv, RG-LRU, linear attention, simple GLA, Mamba-2) at T = 1M and
# the others at T = 64K, B = 1, in 5 regimes (random; decays near 1; decays
# near 0; activations x100; x1e-3; bf16 activations with f32 states, through
# the hymir-narrow-inputs variants), compiled code (hymir-run --target=cpu,
# f32 arithmetic) against float64 oracles and the state laws of OPS.md. Runs under
# nice -n 19 (a shared machine). Writes the per-case records as JSON and
# prints one line per case and 'N passed, M failed'.
#
#   scripts/test-long.sh [--T-cheap N] [--T N] [--tol X] [--json FILE] [--only NAME...]
#
# Defaults: --T-cheap 1048576 --T 65536 --tol 1e-3, records in build/long-numerics.json
# and build/long-numerics.md (the table of docs/numerics-at-length.md).
# About 30 minutes on 2 shared cores (the float64 oracles of the T = 64K cases
# are token-by-token numpy loops); peak memory about 4 GiB. Results go to docs/numerics-at-length.md.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
[ -x "$build/bin/hymir-run" ] && [ -x "$build/bin/hymir-opt" ] || "$root/scripts/build.sh" || exit 1
args=(--T-cheap 1048576 --T 65536 --tol 1e-3 --selfcheck --json "$build/long-numerics.json"
      --markdown "$build/long-numerics.md")
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)," \
  "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
exec nice -n 19 /usr/bin/python3 "$root/test/python/check_long.py" \
  --hymir-run="$build/bin/hymir-run" --hymir-opt="$build/bin/hymir-opt" --examples="$root/examples/ops" "${args[@]}" "$@"
