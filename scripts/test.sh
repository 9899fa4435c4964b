#!/usr/bin/env bash
# Builds Hymir and runs the whole test suite (lit + GoogleTest through
# check-hymir, the runtime's own tests, and the float64 oracle's self-check).
# Ends with one line `N passed, M failed`; exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

"$root/scripts/build.sh" -DHYMIR_WERROR=ON || { echo "0 passed, 1 failed"; exit 1; }

results="$build/test-results.xml"
rm -f "$results"
/usr/lib/llvm-22/bin/lit -sv --xunit-xml-output="$results" "$build/test" "$build/test/unit"
lit_status=$?

# Count lit's results (the GoogleTest binaries run inside lit as well).
read -r passed failed < <(/usr/bin/python3 "$root/scripts/lit-summary.py" "$results")
if [ "$lit_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
