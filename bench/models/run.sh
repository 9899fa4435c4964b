#!/usr/bin/env bash
# Model benchmark (issue #6): prefill and decode tokens/s of a tiny hybrid model
# compiled by Hymir for the CPU (hymir-run --target=cpu --generate) against the
# same architecture in PyTorch with the same weights (qwen3_next_torch.py), at 1
# and 2 threads, in one run. Both decode greedily from the same prompt, so the
# generated ids must agree (a mismatch is reported). Writes
# bench/results/models-<date>-<commit>.txt.
#
#   bash bench/models/run.sh [PROMPT_LEN] [GENERATE]      (defaults 64 and 64)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
prompt_len="${1:-64}" generate="${2:-64}"
bash scripts/build.sh >/dev/null
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  apt-get install -y python3-torch libopenblas0-pthread >/dev/null
fi
work=build/bench-models
mkdir -p "$work"
config=examples/models/configs/tiny-qwen3-next.json
build/bin/hymir-import "$config" -o "$work/model.mlir" \
  --random-weights="$work/weights.safetensors" --seed=1
ids=$(/usr/bin/python3 -c "import random; random.seed(3); print(','.join(str(random.randrange(64)) for _ in range($prompt_len)))")
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!bench/results' || commit="$commit+uncommitted"
out="bench/results/models-$(date -u +%Y-%m-%d)-$commit.txt"
{
  echo "# Model bench: $config, prompt $prompt_len tokens, $generate generated (greedy)"
  echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $commit"
  echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# peer: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') eager float32, bench/models/qwen3_next_torch.py"
  printf '%-8s %-8s %14s %14s %8s\n' threads phase hymir_tok/s torch_tok/s ratio
  for threads in 1 2; do
    h=$(OMP_NUM_THREADS=$threads build/bin/hymir-run "$work/model.mlir" --target=cpu \
          --threads=$threads --weights="$work/weights.safetensors" \
          --prompt-ids="$ids" --generate="$generate")
    p=$(/usr/bin/python3 bench/models/qwen3_next_torch.py "$config" "$work/weights.safetensors" \
          --prompt-ids="$ids" --generate="$generate" --threads=$threads)
    [ "$(echo "$h" | head -1)" = "$(echo "$p" | head -1)" ] ||
      echo "# WARNING: generated ids differ at $threads threads"
    for phase in prefill decode; do
      ht=$(echo "$h" | sed -n "s/^$phase: .*(\([0-9.]*\) tokens\/s)/\1/p")
      pt=$(echo "$p" | sed -n "s/^$phase: .*(\([0-9.]*\) tokens\/s)/\1/p")
      printf '%-8s %-8s %14s %14s %8s\n' "$threads" "$phase" "$ht" "$pt" \
        "$(/usr/bin/python3 -c "print('%.2f' % ($ht / $pt))")"
    done
  done
} | tee "$out"
