#!/usr/bin/env bash
# Model benchmark (issue #6): prefill and decode tokens/s of every tiny model
# family compiled by Hymir for the CPU (hymir-run --target=cpu --generate)
# against the same architecture in PyTorch with the same weights
# (bench/models/torch_models.py), at 1 and 2 threads. For each family and
# thread count the two are run alternately REPEAT times (hymir, torch, hymir,
# ...), so both see the same machine load; the table gives the median of each
# and their ratio, then the best (fastest) run of each and their ratio (on a
# loaded machine the best run is the closer estimate of the uncontended cost).
# Correctness gate: every peer run must generate Hymir's ids, and the peer's
# prefill and decode logits must match the float64 reference (hf_reference.py)
# to <= 1e-4 relative RMS; failures are WARNING lines in the table. Writes
# bench/results/models-<date>-<commit>.txt.
#
#   bash bench/models/run.sh [--families a,b] [--repeat N] [PROMPT_LEN] [GENERATE]
#
# Families are the names of examples/models/configs/tiny-<family>.json
# (default: all) or paths of other configs (bench/models/configs/*.json, e.g.
# the 64-expert MoE); PROMPT_LEN and GENERATE default to 64 and 64, REPEAT
# to 3. HYMIR_IMPORT_FLAGS passes flags to hymir-import (e.g. --moe=dense).
# On a shared machine run it as `nice -n 10 bash bench/models/run.sh`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
families="" repeat=3
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --families=*) families="${1#*=}" ;;
    --families) families="$2"; shift ;;
    --repeat=*) repeat="${1#*=}" ;;
    --repeat) repeat="$2"; shift ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) args+=("$1") ;;
  esac
  shift
done
prompt_len="${args[0]:-64}" generate="${args[1]:-64}"
if [ -z "$families" ]; then
  families=$(ls examples/models/configs/tiny-*.json | sed 's|.*/tiny-\(.*\)\.json|\1|' | paste -sd,)
fi
config_of() { case "$1" in *.json) echo "$1" ;; *) echo "examples/models/configs/tiny-$1.json" ;; esac; }
for f in ${families//,/ }; do
  [ -f "$(config_of "$f")" ] || { echo "run.sh: no $(config_of "$f")" >&2; exit 2; }
done
bash scripts/build.sh >/dev/null
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  apt-get install -y python3-torch libopenblas0-pthread >/dev/null
fi
work=build/bench-models
mkdir -p "$work"
ids=$(/usr/bin/python3 -c "import random; random.seed(3); print(','.join(str(random.randrange(64)) for _ in range($prompt_len)))")
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!bench/results' || commit="$commit+uncommitted"
out="bench/results/models-$(date -u +%Y-%m-%d)-$commit.txt"
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
best() { sort -g | tail -1; }
rate() { sed -n "s/^$1: .*(\([0-9.]*\) tokens\/s)/\1/p"; }
{
  echo "# Model bench: examples/models/configs/tiny-*.json, prompt $prompt_len tokens, $generate generated (greedy), random weights (--seed=1)"
  echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $commit"
  echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# hymir: hymir-run --target=cpu --generate (compiled before the clock); $repeat runs interleaved with the peer's: median, then best"
  echo "# hymir-import flags: ${HYMIR_IMPORT_FLAGS:-(none)}"
  echo "# peer: $(/usr/bin/python3 -c 'import torch; print("PyTorch", torch.__version__)') eager float32, bench/models/torch_models.py (one untimed warm-up);"
  echo "#   prefill: Mamba-2 chunked SSD, other recurrences token loops, attention masked matmuls; decode: one recurrent step per token, KV caches"
  printf '%-16s %-8s %-8s %12s %12s %8s %12s %12s %8s\n' family threads phase hymir_tok/s \
    torch_tok/s ratio best_hymir best_torch ratio
  for f in ${families//,/ }; do
    config=$(config_of "$f")
    [ "$config" = "$f" ] && f=$(basename "$f" .json)
    # shellcheck disable=SC2086
    build/bin/hymir-import "$config" -o "$work/$f.mlir" ${HYMIR_IMPORT_FLAGS:-} \
      --random-weights="$work/$f.safetensors" --seed=1
    # The peer against the float64 reference, once per family (not timed).
    check=$(/usr/bin/python3 bench/models/torch_models.py "$config" "$work/$f.safetensors" \
              --prompt-ids="$ids" --generate="$generate" --threads=1 --check 2>&1) ||
      echo "# WARNING: $f: the peer's check failed"
    echo "$check" | grep '^WARNING' | sed 's/^/# /' || true
    echo "$check" | grep '^check' | sed "s/^/# $f: /" || true
    for threads in 1 2; do
      hp=() hd=() tp=() td=()
      for ((r = 0; r < repeat; ++r)); do
        h=$(OMP_NUM_THREADS=$threads build/bin/hymir-run "$work/$f.mlir" --target=cpu \
              --threads=$threads --weights="$work/$f.safetensors" \
              --prompt-ids="$ids" --generate="$generate")
        p=$(/usr/bin/python3 bench/models/torch_models.py "$config" \
              "$work/$f.safetensors" --prompt-ids="$ids" --generate="$generate" \
              --threads=$threads)
        [ "$(echo "$h" | head -1)" = "$(echo "$p" | head -1)" ] ||
          echo "# WARNING: $f: generated ids differ at $threads threads (hymir $(echo "$h" | head -1), torch $(echo "$p" | head -1))"
        hp+=("$(echo "$h" | rate prefill)") hd+=("$(echo "$h" | rate decode)")
        tp+=("$(echo "$p" | rate prefill)") td+=("$(echo "$p" | rate decode)")
      done
      for phase in prefill decode; do
        if [ $phase = prefill ]; then hs=("${hp[@]}") ts=("${tp[@]}"); else hs=("${hd[@]}") ts=("${td[@]}"); fi
        ht=$(printf '%s\n' "${hs[@]}" | median) pt=$(printf '%s\n' "${ts[@]}" | median)
        hb=$(printf '%s\n' "${hs[@]}" | best) pb=$(printf '%s\n' "${ts[@]}" | best)
        printf '%-16s %-8s %-8s %12.1f %12.1f %8.2f %12.1f %12.1f %8.2f\n' "$f" "$threads" \
          "$phase" "$ht" "$pt" "$(/usr/bin/python3 -c "print($ht / $pt)")" "$hb" "$pb" \
          "$(/usr/bin/python3 -c "print($hb / $pb)")"
      done
    done
  done
  echo "# load at end $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
