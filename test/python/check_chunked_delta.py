#!/usr/bin/python3
"""The chunked UT/WY form of the delta rule (hymir-chunk-scans) on awkward shapes, against the
independent float64 oracle (hymir_oracle.ops) and against the sequential fallback.

  check_chunked_delta.py --hymir-run PATH [--work DIR] [--quick]

Two scans are generated with head dims that are not powers of two, K = 24, V = 40:
  * gated_delta_net's body (examples/ops/gated_delta_net.mlir: l2norm, softplus gate, sigmoid
    beta inside) with GVA: 2 q/k heads read by 6 value heads (value head h reads h // 3);
  * delta_net's body (no decay, q, k, beta as given) with 3 heads.
The scale constant stays 1/sqrt(12) so that the oracle functions apply unchanged at any K.

Inputs are random (fixed seeds), never zero; the initial state is non-zero. Decay regimes of
Gated DeltaNet (g = -exp(A_log) softplus(a + dt_bias)):
  typical  A_log in log[1, 16], dt in [1e-3, 1e-1] (the gallery's draw): g ~ -0.01 .. -1
  near1    A_log = log(1e-4):  g ~ -1e-4  (decay 0.9999; nothing forgets within a chunk)
  near0    A_log = log(8), a ~ 4 + N(0, 1):  g ~ -30 (decay ~1e-13; exp(G) underflows to 0
           within a chunk: the state is forgotten at every step)
and for DeltaNet beta = sigmoid(N) in (0, 1), or beta in (0, 2) ("neg2": eigenvalues 1 - beta
down to -1, the negative-eigenvalue variant).

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
GDN_H, GDN_HV = 2, 6
DN_H = 3
TOL_ORACLE, TOL_FALLBACK = 1e-4, 1e-5

GDN = """
func.func @main(%q: tensor<?x?x{H}x{K}xf32>, %k: tensor<?x?x{H}x{K}xf32>,
                %v: tensor<?x?x{HV}x{V}xf32>, %a: tensor<?x?x{HV}xf32>, %b: tensor<?x?x{HV}xf32>,
                %A_log: tensor<{HV}xf32>, %dt_bias: tensor<{HV}xf32>,
                %S0: tensor<?x{HV}x{K}x{V}xf32>)
    -> (tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>) {
  %A_exp = math.exp %A_log : tensor<{HV}xf32>
  %A = arith.negf %A_exp : tensor<{HV}xf32>
  %o, %S_T = hymir.scan heads = {HV}
      ins(%q, %k, %v, %a, %b : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{HV}x{V}xf32>, tensor<?x?x{HV}xf32>, tensor<?x?x{HV}xf32>)
      params(%A, %dt_bias : tensor<{HV}xf32>, tensor<{HV}xf32>)
      inits(%S0 : tensor<?x{HV}x{K}x{V}xf32>) -> (tensor<?x?x{HV}x{V}xf32>) {
  ^bb0(%q_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>, %v_t: tensor<{V}xf32>, %a_t: f32, %b_t: f32,
       %A_h: f32, %dt_bias_h: f32, %S: tensor<{K}x{V}xf32>):
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %scale = arith.constant 0.288675129 : f32
    %q_n = hymir.l2_norm %q_t {eps = 1.0e-06 : f32} : tensor<{K}xf32>
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<{K}xf32>
    %x = arith.addf %a_t, %dt_bias_h : f32
    %x_abs = math.absf %x : f32
    %x_nabs = arith.negf %x_abs : f32
    %x_exp = math.exp %x_nabs : f32
    %x_log1p = math.log1p %x_exp : f32
    %x_pos = arith.maximumf %x, %zero : f32
    %softplus = arith.addf %x_pos, %x_log1p : f32
    %g_t = arith.mulf %A_h, %softplus : f32
    %b_neg = arith.negf %b_t : f32
    %b_exp = math.exp %b_neg : f32
    %b_den = arith.addf %one, %b_exp : f32
    %beta_t = arith.divf %one, %b_den : f32
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<{K}x{V}xf32>, f32
    %pred = hymir.read %S_decayed, %k_n : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %err = arith.subf %v_t, %pred : tensor<{V}xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<{V}xf32>, f32
    %ku = hymir.outer %k_n, %u_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<{K}x{V}xf32>
    %q_s = hymir.scale %q_n, %scale : tensor<{K}xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>
}
"""

DELTA = """
func.func @main(%q: tensor<?x?x{H}x{K}xf32>, %k: tensor<?x?x{H}x{K}xf32>,
                %v: tensor<?x?x{H}x{V}xf32>, %beta: tensor<?x?x{H}xf32>,
                %S0: tensor<?x{H}x{K}x{V}xf32>)
    -> (tensor<?x?x{H}x{V}xf32>, tensor<?x{H}x{K}x{V}xf32>) {
  %o, %S_T = hymir.scan heads = {H}
      ins(%q, %k, %v, %beta : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{H}x{V}xf32>, tensor<?x?x{H}xf32>)
      inits(%S0 : tensor<?x{H}x{K}x{V}xf32>) -> (tensor<?x?x{H}x{V}xf32>) {
  ^bb0(%q_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>, %v_t: tensor<{V}xf32>, %beta_t: f32,
       %S: tensor<{K}x{V}xf32>):
    %scale = arith.constant 0.288675129 : f32
    %pred = hymir.read %S, %k_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %err = arith.subf %v_t, %pred : tensor<{V}xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<{V}xf32>, f32
    %ku = hymir.outer %k_t, %u_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S, %ku : tensor<{K}x{V}xf32>
    %q_s = hymir.scale %q_t, %scale : tensor<{K}xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{H}x{V}xf32>, tensor<?x{H}x{K}x{V}xf32>
}
"""


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def unit(rng, *shape):
    x = rng.standard_normal(shape)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def gdn_inputs(rng, B, T, regime):
    H, HV = GDN_H, GDN_HV
    q = rng.standard_normal((B, T, H, K))
    k = rng.standard_normal((B, T, H, K))
    v = rng.standard_normal((B, T, HV, V))
    a = rng.standard_normal((B, T, HV))
    b = rng.standard_normal((B, T, HV))
    if regime == "typical":
        A_log = np.log(rng.uniform(1.0, 16.0, HV))
        dt = np.exp(rng.uniform(math.log(1e-3), math.log(1e-1), HV))
        dt_bias = dt + np.log(-np.expm1(-dt))              # inverse softplus
    elif regime == "near1":
        A_log = np.full(HV, math.log(1e-4))
        dt_bias = rng.uniform(-1.0, 1.0, HV)
    elif regime == "near0":
        A_log = np.full(HV, math.log(8.0))
        a = a + 4.0
        dt_bias = rng.uniform(-0.5, 0.5, HV)
    else:
        raise ValueError(regime)
    S0 = 0.5 * rng.standard_normal((B, HV, K, V))
    return [q, k, v, a, b, A_log, dt_bias, S0]


def delta_inputs(rng, B, T, regime):
    H = DN_H
    beta = sigmoid(rng.standard_normal((B, T, H)))
    if regime == "neg2":
        beta = 2.0 * beta
    return [unit(rng, B, T, H, K), unit(rng, B, T, H, K), rng.standard_normal((B, T, H, V)),
            beta, 0.5 * rng.standard_normal((B, H, K, V))]


def instantiate(template, **dims):
    """The template with {NAME} replaced by dims[NAME] (the MLIR's own braces kept)."""
    return re.sub(r"\{(H|HV|K|V)\}", lambda m: str(dims[m.group(1)]), template)


CASES = {
    "gdn": (instantiate(GDN, H=GDN_H, HV=GDN_HV, K=K, V=V), gdn_inputs, ops.gated_delta_net),
    "delta": (instantiate(DELTA, H=DN_H, K=K, V=V), delta_inputs, ops.delta_net),
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
    work = args.work or tempfile.mkdtemp(prefix="chunked-delta-")
    os.makedirs(work, exist_ok=True)

    # (op, regime, B, T, C)
    grid = []
    for B in (1, 2):
        for T in (1, 37, 64, 65, 300, 1000):
            grid.append(("gdn", "typical", B, T, 64))
            grid.append(("delta", "sigmoid", B, T, 64))
    for T in (37, 300):
        grid.append(("gdn", "typical", 2, T, 16))
        grid.append(("delta", "sigmoid", 2, T, 16))
    for regime in ("near1", "near0"):
        for T in (65, 1000):
            grid.append(("gdn", regime, 2, T, 64))
    for T in (65, 1000):
        grid.append(("delta", "neg2", 2, T, 64))

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
