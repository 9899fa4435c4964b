#!/usr/bin/env bash
# Builds Hymir with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs the whole test suite under them (lit + FileCheck,
# GoogleTest, the execution tests), then runs every fuzz target for a short
# time and replays fuzz/corpus/ and fuzz/regressions/ (scripts/fuzz.sh, which
# builds the fuzzers into build-fuzz/).
#
#   scripts/test-sanitizers.sh [--fuzz-seconds N] [--no-fuzz]
#
# Sanitizer settings: ASAN_OPTIONS=detect_leaks=1:abort_on_error=1,
# UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1: any
# report (memory error, leak, UB) aborts the process. Abort, not exit(1),
# because exit status 1 is also hymir-run's "bad input", which the `not
# hymir-run ...` tests expect; lit's `not` fails on a signal. Leaks inside
# libMLIR/LLVM only may be suppressed by fuzz/lsan.supp, never leaks in
# Hymir's code. Ends with one line
# `N passed, M failed` (lit tests, plus one per fuzz target and per replay)
# and the time each phase took; exits non-zero on any failure.
# The fuzzers run with seed FUZZ_SEED (default 1, so that a CI run can be
# repeated; 0 draws a new seed). ASAN_BUILD_DIR overrides build-asan/,
# FUZZ_BUILD_DIR build-fuzz/.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ASAN_BUILD_DIR:-$root/build-asan}"
fuzz_seconds=20 fuzz=1
while (($#)); do
  case "$1" in
    --fuzz-seconds) fuzz_seconds="$2"; shift 2 ;;
    --fuzz-seconds=*) fuzz_seconds="${1#*=}"; shift ;;
    --no-fuzz) fuzz=0; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-sanitizers.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

t0=$SECONDS
timings=()
phase() { timings+=("$(printf '%-34s %4ds' "$1" $((SECONDS - $2)))"); }

"$root/scripts/install-deps.sh"

flags="-fsanitize=address,undefined -fno-omit-frame-pointer -gline-tables-only"
start=$SECONDS
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null \
    || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$build" -j"$(nproc)" || { echo "0 passed, 1 failed"; exit 1; }
phase "build (build-asan/)" "$start"

export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allow_user_poisoning=0"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"

start=$SECONDS
results="$build/test-results.xml"
rm -f "$results"
/usr/lib/llvm-22/bin/lit -sv --xunit-xml-output="$results" \
  "$build/test" "$build/test/unit"
lit_status=$?
read -r passed failed < <(/usr/bin/python3 "$root/scripts/lit-summary.py" "$results")
if [ "$lit_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
phase "lit suite under ASan+UBSan" "$start"

if ((fuzz)); then
  # Fuzz each target briefly (fails only on crashes in Hymir's code), then
  # replay the corpus and the regressions (fails on any crash).
  start=$SECONDS
  if "$root/scripts/fuzz.sh" --seconds "$fuzz_seconds" --seed "${FUZZ_SEED:-1}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
  phase "fuzzers (build + ${fuzz_seconds}s per target)" "$start"
  start=$SECONDS
  if "$root/scripts/fuzz.sh" --replay; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
  phase "fuzz corpus + regressions replay" "$start"
fi

echo
printf '%s\n' "${timings[@]}"
printf '%-34s %4ds\n' "total" $((SECONDS - t0))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
