#!/usr/bin/python3
"""Determinism of compiled code: the same inputs give bit-identical outputs from one run to the
next and at every thread count.

  check_determinism.py --hymir-run PATH --examples DIR [--threads 1,2,3] [--only NAME ...]
                       [--B 2] [--T 67] [--work DIR]

For each selected gallery example (default: scans of several transition classes, a non-linear
recurrence, attention with and without a window, the short conv), random inputs from
hymir_oracle.inputs.make_inputs (never all zeros) are saved once as float32 .npy and run with
    PATH DIR/NAME.mlir --entry=main --target=cpu --threads=N --input=... --output=OUT
once per N in --threads, then once more with the first N. Every out*.npy must be byte-identical
(header and data) to the first run's, and every result must be finite and not all zeros (so that
an identical pair of empty or broken results cannot pass).

B x heads is at least 8 for every default example, so that 2 and 3 threads split the (batch,
head) loop unevenly. Prints one line per example (PASS / FAIL), then 'N passed, M failed'.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hymir_oracle import inputs  # noqa: E402

DEFAULT_EXAMPLES = (
    "linear_attention",      # identity transition
    "mamba2_ssd",            # scalar
    "gla",                   # diagonal
    "mamba1_selective_scan", # elementwise
    "rglru",                 # vector state
    "gated_delta_net",       # dplr
    "rwkv7",                 # dplr, per-key decay
    "mlstm",                 # tuple state with a max-plus prefix
    "slstm",                 # hymir.recurrence (non-linear)
    "attention_causal",
    "attention_window",
    "causal_conv1d",
)


def run(tool, mlir, paths, outdir, threads):
    cmd = [tool, mlir, "--entry=main", "--target=cpu", "--threads=%d" % threads,
           "--output=" + outdir] + ["--input=" + p for p in paths]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("threads=%d: exit %d: %s" % (threads, p.returncode,
                                                        p.stderr.decode(errors="replace")[:300]))
    files = sorted(glob.glob(os.path.join(outdir, "out*.npy")))
    if not files:
        raise RuntimeError("threads=%d: no outputs" % threads)
    return {os.path.basename(f): open(f, "rb").read() for f in files}


def check(tool, examples, name, B, T, threads, work):
    args = inputs.make_inputs(name, B, T, inputs.seed_for(name, B, T, salt=11))
    case = os.path.join(work, name)
    shutil.rmtree(case, ignore_errors=True)
    os.makedirs(case)
    paths = []
    for i, a in enumerate(args):
        p = os.path.join(case, "a%d.npy" % i)
        np.save(p, a)
        paths.append(p)
    mlir = os.path.join(examples, name + ".mlir")
    runs = []
    for n in list(threads) + [threads[0]]:
        runs.append((n, run(tool, mlir, paths, os.path.join(case, "out%d_%d" % (n, len(runs))), n)))
    first_n, first = runs[0]
    for fname, data in first.items():
        arr = np.load(os.path.join(case, "out%d_0" % first_n, fname))
        if not np.all(np.isfinite(arr)):
            return "%s is not finite" % fname
        if not np.any(arr != 0):
            return "%s is all zeros" % fname
    for n, outs in runs[1:]:
        if sorted(outs) != sorted(first):
            return "threads=%d wrote %s, threads=%d wrote %s" % (n, sorted(outs), first_n,
                                                                 sorted(first))
        for fname, data in outs.items():
            if data != first[fname]:
                a = np.frombuffer(first[fname][128:], np.float32)
                b = np.frombuffer(data[128:], np.float32)
                diff = int(np.count_nonzero(a != b)) if a.shape == b.shape else -1
                return "%s differs between threads=%d and threads=%d (%d elements)" % (
                    fname, first_n, n, diff)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hymir-run", required=True)
    ap.add_argument("--examples", required=True)
    ap.add_argument("--threads", default="1,2,3")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--B", type=int, default=2)
    ap.add_argument("--T", type=int, default=67)
    ap.add_argument("--work")
    a = ap.parse_args()
    threads = [int(x) for x in a.threads.split(",")]
    work = a.work or tempfile.mkdtemp(prefix="hymir-determinism-")
    passed = failed = 0
    for name in a.only or DEFAULT_EXAMPLES:
        try:
            why = check(a.hymir_run, a.examples, name, a.B, a.T, threads, work)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            why = str(e)
        if why:
            failed += 1
            print("FAIL %s: %s" % (name, why))
        else:
            passed += 1
            print("PASS %s: %d runs (threads %s, then %d again) byte-identical" % (
                name, len(threads) + 1, ",".join(map(str, threads)), threads[0]))
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
