"""What check_chunked_delta.py and check_chunked_gla.py share: the scan templates'
instantiation, the hymir-run calls and the per-case comparison of a chunked form (at 1 and
2 threads) with the float64 oracle and the sequential fallback (--chunk-size=0)."""

import argparse
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np

TOL_ORACLE, TOL_FALLBACK = 1e-4, 1e-5


def instantiate(template, **dims):
    """The template with {NAME} replaced by dims[NAME] (the MLIR's own braces kept)."""
    return re.sub(r"\{(H|HV|K|V)\}", lambda m: str(dims[m.group(1)]), template)


def rel_rms(out, ref):
    out = np.asarray(out, np.float64)
    ref = np.asarray(ref, np.float64)
    d = np.linalg.norm(out - ref)
    if not np.isfinite(d):
        return float("inf")
    n = np.linalg.norm(ref)
    return float(d / n) if n > 0 else float(d)


def run(tool, mlir, paths, outdir, args):
    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    cmd = ([tool, mlir, "--entry=main", "--target=cpu"] + args
           + ["--input=" + p for p in paths] + ["--output=" + outdir])
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise RuntimeError("hymir-run %s exit %d: %s" % (" ".join(args), p.returncode,
                                                         p.stderr.strip()[-400:]))
    files = [os.path.join(outdir, "out%d.npy" % j) for j in range(2)]
    return [np.load(f) for f in files], [open(f, "rb").read() for f in files]


def run_grid(grid, cases, hymir_run, work, extra=()):
    """Runs every (op, regime, B, T, C) of `grid` (cases[op] = (mlir source, inputs(rng, B,
    T, regime), float64 oracle)), the chunked runs with the hymir-run arguments `extra`;
    prints one line per case and the summary; returns the number of failures."""
    passed = failed = 0
    for n, (name, regime, B, T, C) in enumerate(grid):
        source, make, oracle = cases[name]
        case = os.path.join(work, "case%d" % n)
        os.makedirs(case, exist_ok=True)
        mlir = os.path.join(case, name + ".mlir")
        with open(mlir, "w") as f:
            f.write(source)
        rng = np.random.default_rng(1000 + n)
        inputs = [np.asarray(x, np.float32) for x in make(rng, B, T, regime)]
        paths = []
        for i, x in enumerate(inputs):
            paths.append(os.path.join(case, "a%d.npy" % i))
            np.save(paths[-1], x)
        refs = oracle(*[x.astype(np.float64) for x in inputs])
        label = "%s %s B=%d T=%d C=%d" % (name, regime, B, T, C)
        try:
            chunked, raw1 = run(hymir_run, mlir, paths, os.path.join(case, "c1"),
                                ["--chunk-size=%d" % C, "--threads=1"] + list(extra))
            _, raw2 = run(hymir_run, mlir, paths, os.path.join(case, "c2"),
                          ["--chunk-size=%d" % C, "--threads=2"] + list(extra))
            fallback, _ = run(hymir_run, mlir, paths, os.path.join(case, "seq"),
                              ["--chunk-size=0", "--threads=1"])
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print("FAIL %s: %s" % (label, e), flush=True)
            failed += 1
            continue
        e_oracle = max(rel_rms(c, r) for c, r in zip(chunked, refs))
        e_fallback = max(rel_rms(c, s) for c, s in zip(chunked, fallback))
        e_seq = max(rel_rms(s, r) for s, r in zip(fallback, refs))
        problems = []
        if not all(np.all(np.isfinite(c)) for c in chunked):
            problems.append("non-finite outputs")
        if not e_oracle <= TOL_ORACLE:
            problems.append("vs oracle %.3g > %g" % (e_oracle, TOL_ORACLE))
        if not e_fallback <= TOL_FALLBACK:
            problems.append("vs fallback %.3g > %g" % (e_fallback, TOL_FALLBACK))
        if raw1 != raw2:
            problems.append("threads 1 and 2 differ")
        ok = not problems
        print("%s %s: vs oracle %.2e (fallback %.2e), vs fallback %.2e, threads 1 = 2: %s%s"
              % ("PASS" if ok else "FAIL", label, e_oracle, e_seq, e_fallback,
                 "yes" if raw1 == raw2 else "no", "" if ok else " -- " + "; ".join(problems)),
              flush=True)
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return failed


def main(cases, grid, prefix):
    """A check script's command line, `--hymir-run PATH [--work DIR]`: runs `grid` over
    `cases` (see run_grid) in DIR, or in a temporary folder removed afterwards; returns the
    exit status (1 if any case failed)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--hymir-run", required=True)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix=prefix)
    os.makedirs(work, exist_ok=True)
    failed = run_grid(grid, cases, args.hymir_run, work)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0
