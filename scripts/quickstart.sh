#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install what is missing, build
# everything, then run the operator gallery (examples/ops): each file is
# verified and classified by hymir-opt, and executed by hymir-run on random
# inputs, checked against the independent float64 oracle.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

"$root/scripts/build.sh"

echo "== Transition class of every scan in examples/ops (hymir-opt --hymir-normalize)"
for f in "$root"/examples/ops/*.mlir; do
  cls=$("$build/bin/hymir-opt" "$f" --hymir-normalize |
        sed -n 's/.*transition = #hymir.transition<\([a-z_]*\),.*/\1/p' | head -n 1)
  printf '  %-28s %s\n' "$(basename "$f" .mlir)" "${cls:-(no scan)}"
done

echo "== Running the gallery with hymir-run --reference against the float64 oracle"
/usr/bin/python3 "$root/test/python/check_gallery.py" \
  --hymir-run="$build/bin/hymir-run" --examples="$root/examples/ops" --mode=reference
