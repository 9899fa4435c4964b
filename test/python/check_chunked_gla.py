#!/usr/bin/python3
"""The chunked diagonal form (hymir-chunk-scans: per-key decay, sub-chunks with reference
points) on awkward shapes, against the independent float64 oracle (hymir_oracle.ops) and
against the sequential fallback.

  check_chunked_gla.py --hymir-run PATH [--work DIR]

Two scans with head dims that are not powers of two, K = 24, V = 40:
  * gla's body (examples/ops/gla.mlir) with GVA: 2 q/k/gk heads read by 6 value heads (value
    head h reads h // 3); the oracle runs ops.gla on the heads repeated;
  * rwkv6's body (examples/ops/rwkv6.mlir: the read of the previous state, the bonus u) with
    3 heads.
The scale constant stays 1/sqrt(12) so that the oracle functions apply unchanged at any K.

Inputs are random (fixed seeds), never zero; the initial state is non-zero. Log-decay regimes:
  typical  GLA: logsigmoid(N(0, 1)) / 16 (~ -0.05); RWKV-6: -exp(w), w ~ U(-3, 1)
  near1    ~ -1e-4 (decay 0.9999: nothing forgets within a chunk)
  near0    ~ -30 (decay ~1e-13: exp(G) underflows within a sub-chunk)
  mixed    per key channel either ~ -1e-4 or ~ -30 (the reference points must hold per key)

Per case the chunked code (hymir-run --target=cpu, --chunk-size=C, --threads=1) must match
  * the oracle: relative RMS <= 1e-4 for the output and the final state;
  * the sequential fallback (--chunk-size=0): <= 1e-5;
  * itself at --threads=2: byte-identical outputs.
T covers one step, a tail of 37 steps, exactly one chunk (64), one chunk plus one step, and
long sequences; B in {1, 2}. Prints one line per case with the measured errors, then
'N passed, M failed'; exit status 1 if any failed.
"""

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hymir_oracle import ops  # noqa: E402

K, V = 24, 40
GLA_H, GLA_HV = 2, 6
RWKV_H = 3
TOL_ORACLE, TOL_FALLBACK = 1e-4, 1e-5

GLA = """
func.func @main(%q: tensor<?x?x{H}x{K}xf32>, %k: tensor<?x?x{H}x{K}xf32>,
                %v: tensor<?x?x{HV}x{V}xf32>, %gk: tensor<?x?x{H}x{K}xf32>,
                %S0: tensor<?x{HV}x{K}x{V}xf32>)
    -> (tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>) {
  %o, %S_T = hymir.scan heads = {HV}
      ins(%q, %k, %v, %gk : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{HV}x{V}xf32>, tensor<?x?x{H}x{K}xf32>)
      inits(%S0 : tensor<?x{HV}x{K}x{V}xf32>) -> (tensor<?x?x{HV}x{V}xf32>) {
  ^bb0(%q_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>, %v_t: tensor<{V}xf32>,
       %gk_t: tensor<{K}xf32>, %S: tensor<{K}x{V}xf32>):
    %scale = arith.constant 0.288675129 : f32
    %alpha = math.exp %gk_t : tensor<{K}xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<{K}x{V}xf32>, tensor<{K}xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<{K}x{V}xf32>
    %q_s = hymir.scale %q_t, %scale : tensor<{K}xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>
}
"""

RWKV6 = """
func.func @main(%r: tensor<?x?x{H}x{K}xf32>, %k: tensor<?x?x{H}x{K}xf32>,
                %v: tensor<?x?x{H}x{V}xf32>, %w: tensor<?x?x{H}x{K}xf32>,
                %u: tensor<{H}x{K}xf32>, %S0: tensor<?x{H}x{K}x{V}xf32>)
    -> (tensor<?x?x{H}x{V}xf32>, tensor<?x{H}x{K}x{V}xf32>) {
  %o, %S_T = hymir.scan heads = {H}
      ins(%r, %k, %v, %w : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{H}x{V}xf32>, tensor<?x?x{H}x{K}xf32>)
      params(%u : tensor<{H}x{K}xf32>)
      inits(%S0 : tensor<?x{H}x{K}x{V}xf32>) -> (tensor<?x?x{H}x{V}xf32>) {
  ^bb0(%r_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>, %v_t: tensor<{V}xf32>,
       %w_t: tensor<{K}xf32>, %u_h: tensor<{K}xf32>, %S: tensor<{K}x{V}xf32>):
    %o_state = hymir.read %S, %r_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %ru = arith.mulf %r_t, %u_h : tensor<{K}xf32>
    %bonus = hymir.dot %ru, %k_t : tensor<{K}xf32>, tensor<{K}xf32> -> f32
    %o_bonus = hymir.scale %v_t, %bonus : tensor<{V}xf32>, f32
    %o_t = arith.addf %o_state, %o_bonus : tensor<{V}xf32>
    %ew = math.exp %w_t : tensor<{K}xf32>
    %log_decay = arith.negf %ew : tensor<{K}xf32>
    %alpha = math.exp %log_decay : tensor<{K}xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<{K}x{V}xf32>, tensor<{K}xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<{K}x{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{H}x{V}xf32>, tensor<?x{H}x{K}x{V}xf32>
}
"""


def log_decay(rng, shape, regime):
    """A log-decay g <= 0 of the regime (see the module docstring)."""
    if regime == "typical":
        return -np.log1p(np.exp(-rng.standard_normal(shape))) / 16.0
    near1 = -1e-4 * rng.uniform(0.5, 1.5, shape)
    near0 = -30.0 * rng.uniform(0.8, 1.2, shape)
    if regime == "near1":
        return near1
    if regime == "near0":
        return near0
    if regime == "mixed":
        return np.where(rng.uniform(size=shape[-1]) < 0.5, near1, near0)
    raise ValueError(regime)


def gla_inputs(rng, B, T, regime):
    H, HV = GLA_H, GLA_HV
    return [rng.standard_normal((B, T, H, K)), rng.standard_normal((B, T, H, K)),
            rng.standard_normal((B, T, HV, V)), log_decay(rng, (B, T, H, K), regime),
            0.5 * rng.standard_normal((B, HV, K, V))]


def gla_oracle(q, k, v, gk, S0):
    """ops.gla with the q/k/gk heads repeated for the value heads (block mapping)."""
    rep = GLA_HV // GLA_H
    return ops.gla(np.repeat(q, rep, axis=2), np.repeat(k, rep, axis=2), v,
                   np.repeat(gk, rep, axis=2), S0)


def rwkv6_inputs(rng, B, T, regime):
    H = RWKV_H
    if regime == "typical":
        w = rng.uniform(-3.0, 1.0, (B, T, H, K))
    else:
        w = np.log(-log_decay(rng, (B, T, H, K), regime))   # -exp(w) is the log-decay
    return [rng.standard_normal((B, T, H, K)), rng.standard_normal((B, T, H, K)),
            rng.standard_normal((B, T, H, V)), w, rng.standard_normal((H, K)),
            0.5 * rng.standard_normal((B, H, K, V))]


def instantiate(template, **dims):
    """The template with {NAME} replaced by dims[NAME] (the MLIR's own braces kept)."""
    return re.sub(r"\{(H|HV|K|V)\}", lambda m: str(dims[m.group(1)]), template)


CASES = {
    "gla": (instantiate(GLA, H=GLA_H, HV=GLA_HV, K=K, V=V), gla_inputs, gla_oracle),
    "rwkv6": (instantiate(RWKV6, H=RWKV_H, K=K, V=V), rwkv6_inputs, ops.rwkv6),
}


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hymir-run", required=True)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="chunked-gla-")
    os.makedirs(work, exist_ok=True)

    # (op, regime, B, T, C)
    grid = []
    for B in (1, 2):
        for T in (1, 37, 64, 65, 300, 1000):
            grid.append(("gla", "typical", B, T, 64))
            grid.append(("rwkv6", "typical", B, T, 64))
    for T in (37, 300):
        grid.append(("gla", "typical", 2, T, 16))
        grid.append(("rwkv6", "typical", 2, T, 16))
    for regime in ("near1", "near0", "mixed"):
        for T in (65, 1000):
            grid.append(("gla", regime, 2, T, 64))
            grid.append(("rwkv6", regime, 2, T, 64))
    grid.append(("gla", "mixed", 1, 300, 20))
    grid.append(("rwkv6", "mixed", 1, 300, 20))

    passed = failed = 0
    for n, (name, regime, B, T, C) in enumerate(grid):
        source, make, oracle = CASES[name]
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
            chunked, raw1 = run(args.hymir_run, mlir, paths, os.path.join(case, "c1"),
                                ["--chunk-size=%d" % C, "--threads=1"])
            _, raw2 = run(args.hymir_run, mlir, paths, os.path.join(case, "c2"),
                          ["--chunk-size=%d" % C, "--threads=2"])
            fallback, _ = run(args.hymir_run, mlir, paths, os.path.join(case, "seq"),
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
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
