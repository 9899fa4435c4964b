#!/usr/bin/python3
"""The tiled CPU form of hymir.attention (hymir-tile-attention) against a float64 reference
on awkward shapes.

  check_attention_tiles.py --hymir-run PATH [--work DIR] [--only NAME ...] [--tol 1e-4]
                           [--reference-check]

For each case below a module with one `hymir.attention` is written, random float32 inputs
(standard normal, scaled so that scores are spread; never all zeros) are saved as .npy and run
with `PATH module.mlir --target=cpu --threads=1` and `--threads=2`; the two outputs must be
byte-identical and the relative RMS error against a float64 numpy evaluation of the op's
definition (HymirOps.td: bottom-right causal alignment, window of w keys ending at the query,
softcap after scaling, sinks in the denominator only, a row without allowed keys is 0) must be
<= tol. With --reference-check, the interpreter (`--reference`, float64) is compared with the
numpy evaluation too (<= 1e-5), so that the numpy code is itself checked.

Prints one line per case (PASS / FAIL), then 'N passed, M failed'; exit status 1 if any failed.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

import numpy as np

# name: B, Tq, Tk, Hq, Hkv, K, V, options (causal, window, softcap, scale, sinks)
CASES = [
    ("t1",              1,    1,    1, 4, 2, 12, 20, dict(causal=True)),
    ("t37_gqa2",        2,   37,   37, 4, 2, 12, 20, dict(causal=True)),
    ("t300_gqa2",       1,  300,  300, 4, 2, 12, 20, dict(causal=True)),
    ("t1000_gqa2",      1, 1000, 1000, 4, 2, 12, 20, dict(causal=True)),
    ("t63_lt_tile",     1,   63,   63, 1, 1, 16, 16, dict(causal=True)),
    ("t65_odd_tail",    2,   65,   65, 2, 2, 80, 72, dict(causal=True)),
    ("d80_v72",         1,  200,  200, 2, 1, 80, 72, dict(causal=True)),
    ("gqa4",            1,  150,  150, 8, 2, 72, 40, dict(causal=True)),
    ("gqa3",            2,  130,  130, 6, 2, 24, 20, dict(causal=True)),
    ("mqa5",            1,   77,   77, 5, 1, 20, 20, dict(causal=True)),
    ("window13_softcap", 2, 300,  300, 3, 1, 20, 20,
     dict(causal=True, window=13, softcap=30.0)),
    ("window13_softcap_t1000", 1, 1000, 1000, 3, 1, 20, 20,
     dict(causal=True, window=13, softcap=30.0)),
    ("window100",       1,  257,  257, 4, 4, 32, 32, dict(causal=True, window=100)),
    ("window1",         1,   70,   70, 2, 1, 16, 24, dict(causal=True, window=1)),
    ("softcap5",        1,  129,  129, 4, 2, 48, 48, dict(causal=True, softcap=5.0)),
    ("noncausal",       2,  100,  100, 4, 2, 12, 20, dict()),
    ("noncausal_window", 1, 140,  140, 2, 2, 16, 16, dict(window=20)),
    ("cross_tq_lt_tk",  1,   50,  170, 4, 2, 12, 20, dict(causal=True)),
    ("cross_tq_gt_tk",  1,  150,   40, 2, 1, 12, 20, dict(causal=True)),
    ("cross_noncausal", 2,   33,   90, 2, 2, 20, 12, dict()),
    ("scale_sinks",     1,  111,  111, 4, 2, 28, 20,
     dict(causal=True, scale=0.5, sinks=True)),
    ("sinks_window",    1,   99,   99, 3, 3, 12, 12,
     dict(causal=True, window=7, sinks=True)),
]


def module_text(B, Tq, Tk, Hq, Hkv, K, V, opts):
    # hymir-run gives every '?' at one position one size: T_q != T_k needs static shapes.
    static = Tq != Tk

    def ty(h, d, t=None):
        if static:
            return "tensor<%dx%dx%dx%dxf32>" % (B, t, h, d)
        return "tensor<?x?x%dx%dxf32>" % (h, d)
    attrs = []
    if opts.get("causal"):
        attrs.append("causal")
    if "scale" in opts:
        attrs.append("scale = %r : f32" % opts["scale"])
    if "window" in opts:
        attrs.append("window = %d : i64" % opts["window"])
    if "softcap" in opts:
        attrs.append("softcap = %r : f32" % opts["softcap"])
    sinks_arg = ", %%s: tensor<%dxf32>" % Hq if opts.get("sinks") else ""
    sinks_use = " sinks(%%s : tensor<%dxf32>)" % Hq if opts.get("sinks") else ""
    return (
        "func.func @main(%%q: %s, %%k: %s, %%v: %s%s) -> (%s) {\n"
        "  %%o = hymir.attention %%q, %%k, %%v%s {%s}\n"
        "      : %s, %s, %s -> %s\n"
        "  return %%o : %s\n"
        "}\n" % (ty(Hq, K, Tq), ty(Hkv, K, Tk), ty(Hkv, V, Tk), sinks_arg, ty(Hq, V, Tq), sinks_use,
                 ", ".join(attrs), ty(Hq, K, Tq), ty(Hkv, K, Tk), ty(Hkv, V, Tk), ty(Hq, V, Tq),
                 ty(Hq, V, Tq)))


def reference(q, k, v, sinks, opts):
    """The op's definition in float64, one (b, h) at a time with a full score matrix."""
    q, k, v = (np.asarray(x, np.float64) for x in (q, k, v))
    B, Tq, Hq, K = q.shape
    Tk, Hkv, V = k.shape[1], k.shape[2], v.shape[3]
    scale = float(np.float32(opts["scale"])) if "scale" in opts else 1 / np.sqrt(K)
    delta = Tk - Tq
    pos = np.arange(Tq)[:, None] + delta
    j = np.arange(Tk)[None, :]
    allowed = np.ones((Tq, Tk), bool)
    if opts.get("causal"):
        allowed &= j <= pos
    if "window" in opts:
        allowed &= j > pos - opts["window"]
    o = np.zeros((B, Tq, Hq, V))
    for b in range(B):
        for h in range(Hq):
            hk = h // (Hq // Hkv)
            s = scale * (q[b, :, h] @ k[b, :, hk].T)
            if "softcap" in opts:
                c = float(np.float32(opts["softcap"]))
                s = c * np.tanh(s / c)
            s = np.where(allowed, s, -np.inf)
            m = s.max(axis=1)
            if sinks is not None:
                m = np.maximum(m, float(sinks[h]))
            live = np.isfinite(m)
            ms = np.where(live, m, 0.0)
            p = np.where(allowed, np.exp(s - ms[:, None]), 0.0)
            l = p.sum(axis=1)
            if sinks is not None:
                l = l + np.exp(float(sinks[h]) - ms)
            num = p @ v[b, :, hk]
            o[b, :, h] = np.where((l > 0)[:, None], num / np.where(l > 0, l, 1)[:, None], 0)
    return o


def rel_rms(out, ref):
    d = np.linalg.norm(np.asarray(out, np.float64) - ref)
    n = np.linalg.norm(ref)
    if not np.isfinite(d):
        return float("inf")
    return float(d / n) if n > 0 else float(d)


def run(tool, mlir, inputs, outdir, extra):
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    cmd = [tool, mlir, "--entry=main", "--output=" + outdir] + extra + \
          ["--input=" + p for p in inputs]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(extra), p.returncode,
                                                p.stderr.decode(errors="replace")[:400]))
    path = os.path.join(outdir, "out0.npy")
    return open(path, "rb").read(), np.load(path)


def check(tool, work, case, tol, reference_check):
    name, B, Tq, Tk, Hq, Hkv, K, V, opts = case
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    mlir = os.path.join(d, "attention.mlir")
    with open(mlir, "w") as f:
        f.write(module_text(B, Tq, Tk, Hq, Hkv, K, V, opts))
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    # Scores of a few units: the softmax is neither uniform nor one-hot.
    q = (rng.standard_normal((B, Tq, Hq, K)) * 1.5).astype(np.float32)
    k = (rng.standard_normal((B, Tk, Hkv, K)) * 1.5).astype(np.float32)
    v = rng.standard_normal((B, Tk, Hkv, V)).astype(np.float32)
    sinks = (rng.standard_normal(Hq) * 2).astype(np.float32) if opts.get("sinks") else None
    paths = []
    for n, x in enumerate([q, k, v] + ([sinks] if sinks is not None else [])):
        paths.append(os.path.join(d, "a%d.npy" % n))
        np.save(paths[-1], x)
    ref = reference(q, k, v, sinks, opts)
    raw1, out1 = run(tool, mlir, paths, os.path.join(d, "t1"), ["--target=cpu", "--threads=1"])
    raw2, _ = run(tool, mlir, paths, os.path.join(d, "t2"), ["--target=cpu", "--threads=2"])
    err = rel_rms(out1, ref)
    problems = []
    if out1.shape != ref.shape:
        problems.append("shape %s, expected %s" % (out1.shape, ref.shape))
    elif err > tol:
        problems.append("rel RMS %.3g > %g" % (err, tol))
    if raw1 != raw2:
        problems.append("threads 1 and 2 differ")
    if not np.all(np.isfinite(out1)) or not np.any(out1):
        problems.append("non-finite or all-zero output")
    msg = "rel RMS %.2e" % err
    if reference_check:
        _, interp = run(tool, mlir, paths, os.path.join(d, "ref"),
                        ["--reference", "--output-dtype=f64"])
        rerr = rel_rms(interp, ref)
        msg += ", interpreter vs numpy %.2e" % rerr
        if rerr > 1e-9:
            problems.append("interpreter vs numpy %.3g > 1e-9" % rerr)
    return problems, msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hymir-run", required=True)
    ap.add_argument("--work")
    ap.add_argument("--only", action="append")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--reference-check", action="store_true")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="hymir-attn-tiles-")
    passed = failed = 0
    for case in CASES:
        if args.only and case[0] not in args.only:
            continue
        try:
            problems, msg = check(args.hymir_run, work, case, args.tol, args.reference_check)
        except Exception as e:  # a crash or a bad exit is a failure, not an abort
            problems, msg = [str(e)], ""
        if problems:
            failed += 1
            print("FAIL %s: %s %s" % (case[0], "; ".join(problems), msg))
        else:
            passed += 1
            print("PASS %s: %s" % (case[0], msg))
        sys.stdout.flush()
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
