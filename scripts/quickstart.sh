#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install what is missing, build
# everything, import a tiny hybrid model (Qwen3-Next layout: 3 Gated DeltaNet
# layers : 1 gated attention) from its config.json, make random weights for
# it and generate tokens (prefill, then greedy decode); then run the operator
# gallery (examples/ops): each file is verified and classified by hymir-opt,
# and executed by hymir-run on random inputs, checked against the
# independent float64 oracle.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

"$root/scripts/build.sh"

work="$build/quickstart"
mkdir -p "$work"
echo "== A tiny hybrid model: hymir-import examples/models/configs/tiny-qwen3-next.json"
"$build/bin/hymir-import" "$root/examples/models/configs/tiny-qwen3-next.json" \
  -o "$work/tiny-qwen3-next.mlir" --random-weights="$work/tiny-qwen3-next.safetensors" --seed=1
echo "== Compile for the CPU, prefill 5 tokens, then greedy decode 8 (hymir-run --target=cpu --generate)"
"$build/bin/hymir-run" "$work/tiny-qwen3-next.mlir" --target=cpu \
  --weights="$work/tiny-qwen3-next.safetensors" --prompt-ids=1,2,3,4,5 --generate=8

echo "== Transition class of every scan in examples/ops (hymir-opt --hymir-normalize)"
for f in "$root"/examples/ops/*.mlir; do
  cls=$("$build/bin/hymir-opt" "$f" --hymir-normalize |
        sed -n 's/.*transition = #hymir.transition<\([a-z_]*\),.*/\1/p' | head -n 1)
  printf '  %-28s %s\n' "$(basename "$f" .mlir)" "${cls:-(no scan)}"
done

echo "== Running the gallery with hymir-run --reference against the float64 oracle"
/usr/bin/python3 "$root/test/python/check_gallery.py" \
  --hymir-run="$build/bin/hymir-run" --examples="$root/examples/ops" --mode=reference
