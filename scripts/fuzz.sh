#!/usr/bin/env bash
# Builds Hymir's libFuzzer targets (fuzz/) into build-fuzz/ and runs each for a
# bounded time on a copy of its corpus, or replays the corpus and regressions.
#
#   scripts/fuzz.sh [--seconds N] [--seed S] [--merge] [--strict] [target...]
#   scripts/fuzz.sh --replay [target...]
#   scripts/fuzz.sh --build-only
#
#   --seconds N   fuzzing time per target (default 60)
#   --seed S      libFuzzer's random seed (default: a new one each run);
#                 scripts/test-sanitizers.sh fixes it so that a CI run can be
#                 repeated locally
#   --merge       afterwards, add the inputs that found new coverage to
#                 fuzz/corpus/<target>/ (libFuzzer -merge=1: only new features)
#   --replay      run every file of fuzz/corpus/<target>/ and
#                 fuzz/regressions/<target>/ through the target once; fail on
#                 any crash (scripts/test-sanitizers.sh runs it)
#   --strict      also fail on crashes whose stack has no Hymir frame
#   --timeout S   per-input time limit, a hang beyond it is a finding (10)
#   --rss-mb M    memory limit, beyond it is a finding (2048)
#   target        hymir-fuzz-npy, hymir-fuzz-ir, ... (default: all built)
#
# Fuzzing runs libFuzzer in fork mode (-fork=1, ignoring crashes) so that one
# crash does not end the run. Every crash, timeout or OOM it saved is then
# replayed and classified by its stack: "hymir" if a frame lies in Hymir's
# code (dialects/, lib/, runtime/, tools/, generated .inc files), "harness" if
# it is a bug of the fuzz target itself, "upstream" if every frame is in
# libMLIR/LLVM or the C/C++ runtime. Hymir and harness crashes make the
# script fail, unless fuzz/known-crashes.txt lists them as known open
# bugs ("known"); upstream ones are reported (fuzz/README.md) and fail only
# with --strict. Per target it prints executions, coverage (cov: edges of
# instrumented code, ft: features) and the findings. Work files are in
# build-fuzz/fuzz-work/<target>/. FUZZ_BUILD_DIR overrides build-fuzz/.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"

seconds=60 seed=0 merge=0 replay=0 build_only=0 strict=0 timeout=10 rss=2048
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    --timeout=*) timeout="${1#*=}"; shift ;;
    --seed) seed="$2"; shift 2 ;;
    --seed=*) seed="${1#*=}"; shift ;;
    --rss-mb) rss="$2"; shift 2 ;;
    --rss-mb=*) rss="${1#*=}"; shift ;;
    --merge) merge=1; shift ;;
    --replay) replay=1; shift ;;
    --strict) strict=1; shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

#===----------------------------------------------------------------------===#
# Build
#===----------------------------------------------------------------------===#

"$root/scripts/install-deps.sh"
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
flags+=" -fno-omit-frame-pointer -gline-tables-only"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DHYMIR_ENABLE_FUZZERS=ON \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null \
    || { echo "fuzz.sh: configuring $build failed" >&2; exit 1; }
fi
# Only the fuzzers and the libraries they link, not the tools and tests.
ninja -C "$build" -j"$(nproc)" hymir-fuzzers \
  || { echo "fuzz.sh: building the fuzzers failed" >&2; exit 1; }
((build_only)) && exit 0

mapfile -t built < <(grep -v '^$' "$build/fuzz/targets.txt")
if ((${#targets[@]} == 0)); then
  targets=("${built[@]}")
fi
for t in "${targets[@]}"; do
  [[ " ${built[*]} " == *" $t "* ]] \
    || { echo "fuzz.sh: no fuzz target '$t' (built: ${built[*]})" >&2; exit 2; }
done

export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allow_user_poisoning=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
if [ -f "$root/fuzz/lsan.supp" ]; then
  export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/fuzz/lsan.supp:print_suppressions=0}"
fi

# The corpus of a target: its own, or the one it shares.
corpus_of() {
  case "$1" in
    hymir-fuzz-cpu-pipeline) echo "$root/fuzz/corpus/hymir-fuzz-ir" ;;
    *) echo "$root/fuzz/corpus/$1" ;;
  esac
}
regressions_of() {
  echo "$root/fuzz/regressions/$1"
  [ "$1" = hymir-fuzz-cpu-pipeline ] && echo "$root/fuzz/regressions/hymir-fuzz-ir"
  return 0
}
dict_of() {
  case "$1" in
    hymir-fuzz-ir|hymir-fuzz-cpu-pipeline) echo "$root/fuzz/dicts/mlir.dict" ;;
    *) [ -f "$root/fuzz/dicts/$1.dict" ] && echo "$root/fuzz/dicts/$1.dict" ;;
  esac
}

#===----------------------------------------------------------------------===#
# Replay
#===----------------------------------------------------------------------===#

if ((replay)); then
  status=0
  for t in "${targets[@]}"; do
    files=()
    for d in "$(corpus_of "$t")" $(regressions_of "$t"); do
      [ -d "$d" ] && while IFS= read -r -d '' f; do files+=("$f"); done \
        < <(find "$d" -type f ! -name 'README*' ! -name '*.md' -print0 | sort -z)
    done
    if ((${#files[@]} == 0)); then
      printf '%-26s no inputs\n' "$t"
      continue
    fi
    log="$build/fuzz-work/$t.replay.log"
    mkdir -p "$build/fuzz-work"
    start=$SECONDS
    "$build/bin/$t" -timeout="$timeout" -rss_limit_mb="$rss" "${files[@]}" >"$log" 2>&1
    rc=$?
    if ((rc == 0)); then
      printf '%-26s %5d inputs replayed, no crash (%ds)\n' "$t" "${#files[@]}" $((SECONDS - start))
    else
      printf '%-26s FAILED (exit %d) replaying %d inputs; last input: %s\n' "$t" "$rc" \
        "${#files[@]}" "$(grep -o 'Running: .*' "$log" | tail -1 | cut -c10-)"
      grep -E 'ERROR:|SUMMARY:|runtime error:' "$log" | head -5 | sed 's/^/    /'
      echo "    log: $log"
      status=1
    fi
  done
  exit $status
fi

#===----------------------------------------------------------------------===#
# Fuzz
#===----------------------------------------------------------------------===#

# classify LOG: prints "hymir|harness|upstream|none SIGNATURE" for a replay
# log: "hymir" if a frame lies in Hymir's sources outside fuzz/; "harness" if
# the crash happened in code compiled here (the top frame has a line number)
# and the only frames of ours are the fuzz target's; else "upstream".
classify() {
  /usr/bin/python3 - "$1" "$root" <<'PY'
import re, sys
log, root = open(sys.argv[1], errors="replace").read(), sys.argv[2]
frames = re.findall(r"^\s*#\d+ 0x[0-9a-f]+ in (.*)$", log, re.M)
if not frames and not re.search(r"ERROR: |runtime error:|ALARM|out-of-memory", log):
    print("none -"); sys.exit()
ours = harness = False
top = None  # True if the top frame is code compiled here
names = []
# An upstream op's own parser (mlir::tensor::FromElementsOp::parse, ...)
# that crashes below all of our frames is upstream's bug even when a Hymir
# op's custom parser (hymir.scan's region) called it: stop at our first frame.
upstream_parser = False
for f in frames:
    if "LLVMFuzzerTestOneInput" in f:
        break  # frames below belong to libFuzzer
    if "fuzzer::" in f or "__sanitizer" in f:
        continue  # libFuzzer's timeout/OOM handlers
    m = re.match(r"(.*?) (/\S+?):\d+(:\d+)?$", f)
    name, path = (m.group(1), m.group(2)) if m else (f, "")
    if not path and re.search(r"mlir::\w+::\w+Op::parse\(mlir::OpAsmParser", name):
        upstream_parser = True
    if upstream_parser and path.startswith(root + "/") and not ours and not harness:
        break
    mod = re.search(r"\((/[^)+]+)\+0x", f)
    if top is None and (m or (mod and ".so" in mod.group(1))):
        top = bool(m)  # interceptors (memmove, ...) have neither: skipped
    if path.startswith(root + "/fuzz/"):
        harness = True
    elif path.startswith(root + "/"):
        ours = True
    if len(names) < 3 and not re.match(r"(__|abort|raise|gsignal|std::|llvm::report)", name):
        names.append(re.sub(r"\(.*", "", re.sub(r"\s*\(/.*?\+0x[0-9a-f]+\).*", "", name)).strip()[:60])
# A UBSan report names the source line even without a stack trace.
loc = re.search(r"^(/\S+?):\d+:\d+: runtime error", log, re.M)
if loc and loc.group(1).startswith(root + "/fuzz/"):
    harness, top = True, True
elif loc and loc.group(1).startswith(root + "/"):
    ours = True
kind = re.search(r"ERROR: (?:AddressSanitizer|libFuzzer|LeakSanitizer): ([\w-]+)", log)
ub = re.search(r"runtime error: (.*)", log)
what = kind.group(1) if kind else ("UB: " + ub.group(1)[:50] if ub else "crash")
cls = "hymir" if ours else ("harness" if harness and top else "upstream")
print(cls, what + " in " + " < ".join(names or ["?"]))
PY
}

# is_known TARGET SIGNATURE: listed in fuzz/known-crashes.txt (open bugs).
is_known() {
  local tre sre
  [ -f "$root/fuzz/known-crashes.txt" ] || return 1
  while read -r tre sre; do
    [[ -z "$tre" || "$tre" == \#* ]] && continue
    if [[ "$1" =~ ^($tre)$ && "$2" =~ $sre ]]; then return 0; fi
  done < "$root/fuzz/known-crashes.txt"
  return 1
}

status=0
summary=()
for t in "${targets[@]}"; do
  work="$build/fuzz-work/$t"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts" "$work/found" "$work/upstream" \
           "$work/known"
  seeds="$(corpus_of "$t")"
  [ -d "$seeds" ] && cp -r "$seeds/." "$work/corpus/"
  for d in $(regressions_of "$t"); do
    [ -d "$d" ] && cp -r "$d/." "$work/corpus/"
  done
  find "$work/corpus" \( -name 'README*' -o -name '*.md' \) -delete
  args=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss"
        -artifact_prefix="$work/artifacts/" -print_final_stats=1)
  ((seed)) && args+=(-seed="$seed")
  dict="$(dict_of "$t")"
  [ -n "$dict" ] && args+=(-dict="$dict")
  # MLIR text: at most two stacked mutations per input, so that more of them
  # still parse and reach the verifiers (fuzz/README.md has the numbers).
  case "$t" in
    hymir-fuzz-ir|hymir-fuzz-cpu-pipeline) args+=(-mutate_depth=2) ;;
  esac
  echo "== $t: fuzzing for ${seconds}s ($(ls "$work/corpus" | wc -l) seed inputs${dict:+, dictionary $(basename "$dict")})"
  # Fork mode ends a job only at its end; the hard limit leaves it a margin.
  timeout --signal=INT --kill-after=30 $((seconds + seconds / 4 + 30)) \
    "$build/bin/$t" "${args[@]}" "$work/corpus" >"$work/fuzz.log" 2>&1
  last="$(grep -E '^#[0-9]+: cov:' "$work/fuzz.log" | tail -1)"
  execs="$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last")"
  cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")"
  ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")"
  corp="$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")"
  eps="$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$last")"
  elapsed="$(sed -nE 's/.* time: ([0-9]+)s.*/\1/p' <<<"$last")"

  # Replay and classify what was saved.
  n_ours=0 n_up=0 n_flaky=0 n_known=0
  declare -A seen=()
  for a in "$work"/artifacts/*; do
    [ -f "$a" ] || continue
    "$build/bin/$t" -timeout="$timeout" -rss_limit_mb="$rss" "$a" >"$a.log" 2>&1
    read -r cls sig < <(classify "$a.log")
    if [ "$cls" = hymir ] && is_known "$t" "$sig"; then
      cls=known
    fi
    case "$cls" in
      none) n_flaky=$((n_flaky + 1)); continue ;;
      known) n_known=$((n_known + 1)); dest="$work/known" ;;
      hymir|harness) n_ours=$((n_ours + 1)); dest="$work/found" ;;
      *) n_up=$((n_up + 1)); dest="$work/upstream" ;;
    esac
    cp "$a" "$a.log" "$dest/"
    key="$cls $sig"
    if [ -z "${seen[$key]:-}" ]; then
      seen[$key]="$dest/$(basename "$a")"
    fi
  done
  line="$(printf '%-26s %9s execs %6s exec/s %5ss  cov: %-5s ft: %-6s corpus: %-5s crashes: %d hymir, %d known, %d upstream%s' \
    "$t" "${execs:-?}" "${eps:-?}" "${elapsed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$n_ours" "$n_known" "$n_up" "$( ((n_flaky)) && echo ", $n_flaky not reproducible")")"
  summary+=("$line")
  echo "$line"
  for key in "${!seen[@]}"; do
    echo "    [$key]"
    echo "      reproduce: $build/bin/$t ${seen[$key]}"
  done
  if ((n_ours)); then
    echo "    -> copy each Hymir crash to fuzz/regressions/$t/ once it is fixed" \
         "(fuzz/README.md)"
    status=1
  fi
  ((strict && n_up)) && status=1
  unset seen

  if ((merge)); then
    mkdir -p "$seeds"
    before=$(ls "$seeds" | wc -l)
    "$build/bin/$t" -merge=1 -timeout="$timeout" -rss_limit_mb="$rss" \
      "$seeds" "$work/corpus" >"$work/merge.log" 2>&1
    echo "    merged: fuzz/corpus/$(basename "$seeds") $before -> $(ls "$seeds" | wc -l) inputs"
  fi
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
