#!/usr/bin/python3
"""Producers pulled into the step by hymir-fuse-into-mixers (the CPU pipeline's `fusion`), on
awkward shapes, against a float64 oracle of the unfused math and the sequential fallback.

  check_fuse_into_mixers.py --hymir-run PATH [--work DIR]

Two scans written the way a layer computes them, with every per-token producer outside the
scan as a whole-tensor op, GVA (2 q/k heads, 6 value heads, K = 24, V = 40):
  * gdn: Gated DeltaNet, q and k L2-normalised by hymir.l2_norm, the decay
    A · softplus(a + dt_bias) and β = sigmoid(b) as linalg.generics and element-wise
    tensor ops (A = −exp(A_log) and dt_bias read per head: params). All six producers are
    fused, the chain exp(−b) → sigmoid whole (the norms are recomputed by the 3 value heads
    of a q/k head: 4 · 2 ≤ 8).
  * sgla: simple GLA with q RMS-normalised with a shared weight (fused: the weight becomes a
    [1, K] param) and k = silu(k) (left outside: exp costs 8 per element, twice over for the
    3 heads of a group), g = −softplus(−x) (fused).
First hymir-opt --hymir-fuse-into-mixers=remarks must report exactly the expected fusions;
then per case (chunked_check.run_grid) the compiled code must match the oracle (<= 1e-4), the
sequential fallback (<= 1e-5) and itself at 2 threads byte for byte; and the code compiled
with --fusion=false (<= 1e-5).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chunked_check  # noqa: E402
from chunked_check import instantiate  # noqa: E402
from hymir_oracle import ops  # noqa: E402

K, V = 24, 40
H, HV = 2, 6

MAPS = """
#id3 = affine_map<(b, t, h) -> (b, t, h)>
#hd3 = affine_map<(b, t, h) -> (h)>
#id4 = affine_map<(b, t, h, d) -> (b, t, h, d)>
"""

GDN = MAPS + """
func.func @main(%q: tensor<?x?x{H}x{K}xf32>, %k: tensor<?x?x{H}x{K}xf32>,
                %v: tensor<?x?x{HV}x{V}xf32>, %a: tensor<?x?x{HV}xf32>, %b: tensor<?x?x{HV}xf32>,
                %A_log: tensor<{HV}xf32>, %dt_bias: tensor<{HV}xf32>,
                %S0: tensor<?x{HV}x{K}x{V}xf32>)
    -> (tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %a, %c0 : tensor<?x?x{HV}xf32>
  %T = tensor.dim %a, %c1 : tensor<?x?x{HV}xf32>
  %A_exp = math.exp %A_log : tensor<{HV}xf32>
  %A = arith.negf %A_exp : tensor<{HV}xf32>
  %q_n = hymir.l2_norm %q {eps = 1.0e-06 : f32} : tensor<?x?x{H}x{K}xf32>
  %k_n = hymir.l2_norm %k {eps = 1.0e-06 : f32} : tensor<?x?x{H}x{K}xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x{HV}xf32>
  %g = linalg.generic {indexing_maps = [#id3, #hd3, #hd3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a, %A, %dt_bias : tensor<?x?x{HV}xf32>, tensor<{HV}xf32>, tensor<{HV}xf32>)
      outs(%e : tensor<?x?x{HV}xf32>) {
  ^bb0(%x: f32, %A_h: f32, %bias: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %s = arith.addf %x, %bias : f32
    %s_abs = math.absf %s : f32
    %s_nabs = arith.negf %s_abs : f32
    %s_exp = math.exp %s_nabs : f32
    %s_log1p = math.log1p %s_exp : f32
    %s_pos = arith.maximumf %s, %zero : f32
    %softplus = arith.addf %s_pos, %s_log1p : f32
    %g_x = arith.mulf %A_h, %softplus : f32
    linalg.yield %g_x : f32
  } -> tensor<?x?x{HV}xf32>
  %b_neg = arith.negf %b : tensor<?x?x{HV}xf32>
  %b_exp = math.exp %b_neg : tensor<?x?x{HV}xf32>
  %beta = linalg.generic {indexing_maps = [#id3, #id3],
                          iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b_exp : tensor<?x?x{HV}xf32>) outs(%e : tensor<?x?x{HV}xf32>) {
  ^bb0(%x: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %den = arith.addf %one, %x : f32
    %r = arith.divf %one, %den : f32
    linalg.yield %r : f32
  } -> tensor<?x?x{HV}xf32>
  %o, %S_T = hymir.scan heads = {HV}
      ins(%q_n, %k_n, %v, %g, %beta : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{HV}x{V}xf32>, tensor<?x?x{HV}xf32>, tensor<?x?x{HV}xf32>)
      inits(%S0 : tensor<?x{HV}x{K}x{V}xf32>) -> (tensor<?x?x{HV}x{V}xf32>) {
  ^bb0(%q_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>, %v_t: tensor<{V}xf32>, %g_t: f32,
       %beta_t: f32, %S: tensor<{K}x{V}xf32>):
    %scale = arith.constant 0.288675129 : f32
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<{K}x{V}xf32>, f32
    %pred = hymir.read %S_decayed, %k_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %err = arith.subf %v_t, %pred : tensor<{V}xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<{V}xf32>, f32
    %ku = hymir.outer %k_t, %u_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<{K}x{V}xf32>
    %q_s = hymir.scale %q_t, %scale : tensor<{K}xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>
}
"""

SGLA = MAPS + """
func.func @main(%q: tensor<?x?x{H}x{K}xf32>, %k: tensor<?x?x{H}x{K}xf32>,
                %v: tensor<?x?x{HV}x{V}xf32>, %x: tensor<?x?x{HV}xf32>, %w: tensor<{K}xf32>,
                %S0: tensor<?x{HV}x{K}x{V}xf32>)
    -> (tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %x, %c0 : tensor<?x?x{HV}xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x{HV}xf32>
  %q_n = hymir.rms_norm %q, %w {eps = 1.0e-05 : f32} : tensor<?x?x{H}x{K}xf32>, tensor<{K}xf32>
  %ek = tensor.empty(%B, %T) : tensor<?x?x{H}x{K}xf32>
  %k_s = linalg.generic {indexing_maps = [#id4, #id4],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k : tensor<?x?x{H}x{K}xf32>) outs(%ek : tensor<?x?x{H}x{K}xf32>) {
  ^bb0(%y: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %y : f32
    %ex = math.exp %n : f32
    %den = arith.addf %one, %ex : f32
    %r = arith.divf %y, %den : f32
    linalg.yield %r : f32
  } -> tensor<?x?x{H}x{K}xf32>
  %eg = tensor.empty(%B, %T) : tensor<?x?x{HV}xf32>
  %g = linalg.generic {indexing_maps = [#id3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x?x{HV}xf32>) outs(%eg : tensor<?x?x{HV}xf32>) {
  ^bb0(%y: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %n = arith.negf %y : f32
    %n_abs = math.absf %n : f32
    %n_nabs = arith.negf %n_abs : f32
    %n_exp = math.exp %n_nabs : f32
    %n_log1p = math.log1p %n_exp : f32
    %n_pos = arith.maximumf %n, %zero : f32
    %softplus = arith.addf %n_pos, %n_log1p : f32
    %r = arith.negf %softplus : f32
    linalg.yield %r : f32
  } -> tensor<?x?x{HV}xf32>
  %o, %S_T = hymir.scan heads = {HV}
      ins(%q_n, %k_s, %v, %g : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{HV}x{V}xf32>, tensor<?x?x{HV}xf32>)
      inits(%S0 : tensor<?x{HV}x{K}x{V}xf32>) -> (tensor<?x?x{HV}x{V}xf32>) {
  ^bb0(%q_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>, %v_t: tensor<{V}xf32>, %g_t: f32,
       %S: tensor<{K}x{V}xf32>):
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<{K}x{V}xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<{K}x{V}xf32>
    %o_t = hymir.read %S_new, %q_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>
}
"""

# Remarks hymir-fuse-into-mixers must give per case: fused, left alone.
EXPECTED = {"gdn": (6, 0), "sgla": (2, 1)}


def gdn_inputs(rng, B, T, regime):
    q = rng.standard_normal((B, T, H, K))
    k = rng.standard_normal((B, T, H, K))
    v = rng.standard_normal((B, T, HV, V))
    a = rng.standard_normal((B, T, HV))
    b = rng.standard_normal((B, T, HV))
    A_log = np.log(rng.uniform(1.0, 16.0, HV))
    dt = np.exp(rng.uniform(np.log(1e-3), np.log(1e-1), HV))
    dt_bias = dt + np.log(-np.expm1(-dt))  # inverse softplus
    S0 = 0.5 * rng.standard_normal((B, HV, K, V))
    return [q, k, v, a, b, A_log, dt_bias, S0]


def sgla_inputs(rng, B, T, regime):
    q = rng.standard_normal((B, T, H, K))
    k = rng.standard_normal((B, T, H, K))
    v = rng.standard_normal((B, T, HV, V))
    x = rng.uniform(-1.0, 6.0, (B, T, HV))  # decays e^{-softplus(-x)} in (0.27, 1)
    w = rng.uniform(0.5, 1.5, K)
    S0 = 0.5 * rng.standard_normal((B, HV, K, V))
    return [q, k, v, x, w, S0]


def sgla_oracle(q, k, v, x, w, S0):
    r = HV // H
    qn = q / np.sqrt(np.mean(q * q, axis=-1, keepdims=True) + 1e-5) * w
    ks = k / (1 + np.exp(-k))
    g = -ops.softplus(-x)
    # ops.simple_gla scales the query by 1/sqrt(12); this scan does not.
    return ops.simple_gla(np.repeat(qn, r, axis=2) * np.sqrt(12), np.repeat(ks, r, axis=2),
                          v, g, S0)


def check_remarks(hymir_opt, sources, work):
    ok = True
    for name, source in sources.items():
        path = os.path.join(work, name + "-remarks.mlir")
        with open(path, "w") as f:
            f.write(source)
        p = subprocess.run([hymir_opt, path, "--hymir-fuse-into-mixers=remarks",
                            "-o", os.devnull], capture_output=True, text=True)
        fused = p.stderr.count("remark: fused into the step of")
        kept = p.stderr.count("remark: not fused into")
        good = p.returncode == 0 and (fused, kept) == EXPECTED[name]
        print("%s %s remarks: %d fused, %d left alone (expected %d, %d)"
              % ("PASS" if good else "FAIL", name, fused, kept, *EXPECTED[name]), flush=True)
        ok = ok and good
    return ok


def check_unfused(cases, hymir_run, work):
    """The same scans compiled with --fusion=false (the producers as whole-tensor loops):
    the same math, so the outputs agree to <= 1e-5."""
    failed = 0
    for name, (source, make, _) in cases.items():
        case = os.path.join(work, "unfused-" + name)
        os.makedirs(case, exist_ok=True)
        mlir = os.path.join(case, name + ".mlir")
        with open(mlir, "w") as f:
            f.write(source)
        rng = np.random.default_rng(77)
        paths = []
        for i, x in enumerate(make(rng, 2, 77, "typical")):
            paths.append(os.path.join(case, "a%d.npy" % i))
            np.save(paths[-1], np.asarray(x, np.float32))
        fused, _ = chunked_check.run(hymir_run, mlir, paths, os.path.join(case, "f"),
                                     ["--chunk-size=16"])
        unfused, _ = chunked_check.run(hymir_run, mlir, paths, os.path.join(case, "u"),
                                       ["--chunk-size=16", "--fusion=false"])
        e = max(chunked_check.rel_rms(a, b) for a, b in zip(fused, unfused))
        ok = e <= chunked_check.TOL_FALLBACK
        print("%s %s B=2 T=77: fused vs --fusion=false %.2e" % ("PASS" if ok else "FAIL", name, e),
              flush=True)
        failed += not ok
    return failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hymir-run", required=True)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="fuse-into-mixers-")
    os.makedirs(work, exist_ok=True)
    cases = {
        "gdn": (instantiate(GDN, H=H, HV=HV, K=K, V=V), gdn_inputs, ops.gated_delta_net),
        "sgla": (instantiate(SGLA, H=H, HV=HV, K=K, V=V), sgla_inputs, sgla_oracle),
    }
    hymir_opt = os.path.join(os.path.dirname(args.hymir_run), "hymir-opt")
    remarks_ok = check_remarks(hymir_opt, {n: c[0] for n, c in cases.items()}, work)
    grid = []
    for name in ("gdn", "sgla"):
        for B, T, C in ((1, 1, 16), (2, 37, 16), (1, 65, 64), (2, 300, 16)):
            grid.append((name, "typical", B, T, C))
    failed = chunked_check.run_grid(grid, cases, args.hymir_run, work)
    failed += check_unfused(cases, args.hymir_run, work)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if remarks_ok and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
