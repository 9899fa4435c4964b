#!/usr/bin/python3
"""The chunked UT/WY form of the delta rule (hymir-chunk-scans) on awkward shapes, against the
independent float64 oracle (hymir_oracle.ops) and against the sequential fallback.

  check_chunked_delta.py --hymir-run PATH [--work DIR] [--kv K V] [--gpu-chunk-forms]

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
down to -1, the negative-eigenvalue variant), or "aligned": every key of a head within a few
degrees of one direction and beta in (0.9, 1), so that A = beta K K^T is near the all-ones
strictly lower matrix, whose Neumann series in A grows like binomial coefficients while
(I + A)^-1 stays bounded: a triangular inverse that sums powers of A fails here, substitution
and blockwise inversion do not. A first line checks that claim in numpy (f32, C = 64, one
chunk of these inputs): the power series (I - A)(I + A^2)(I + A^4)... must be off by more than
1e-2, the doubling blocks of hymir-chunk-scans blocked-inverse within 1e-5.

Per case the chunked code (hymir-run --target=cpu, --chunk-size=C, --threads=1) must match
  * the oracle: relative RMS <= 1e-4 for the output and the final state;
  * the sequential fallback (--chunk-size=0): <= 1e-5;
  * itself at --threads=2: byte-identical outputs.
T covers one step, a tail of 37 steps, exactly one chunk (64), one chunk plus one step, and
long sequences; B in {1, 2}. With --gpu-chunk-forms the chunked runs build the CUDA
pipeline's form (tensor rows, the triangular inverse by doubling blocks; hymir-run
--gpu-chunk-forms), on a shorter grid. Prints one line per case with the measured errors, then
'N passed, M failed'; exit status 1 if any failed.
"""

import argparse
import math
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chunked_check import instantiate, run_grid  # noqa: E402
from hymir_oracle import ops  # noqa: E402

K, V = 24, 40
GDN_H, GDN_HV = 2, 6
DN_H = 3

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
    k = unit(rng, B, T, H, K)
    if regime == "neg2":
        beta = 2.0 * beta
    elif regime == "aligned":
        k = unit(rng, 1, 1, H, K) + 0.05 * rng.standard_normal((B, T, H, K))
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
        beta = rng.uniform(0.9, 1.0, (B, T, H))
    return [unit(rng, B, T, H, K), k, rng.standard_normal((B, T, H, V)),
            beta, 0.5 * rng.standard_normal((B, H, K, V))]


def aligned_regime_check():
    """Whether the "aligned" inputs separate a power-series inverse from exact ones (f32)."""
    C = 64
    _, k, _, beta, _ = delta_inputs(np.random.default_rng(7), 1, C, "aligned")
    k, beta = k[0, :, 0], beta[0, :, 0]
    a = np.tril(beta[:, None] * (k @ k.T), -1)
    exact = np.linalg.inv(np.eye(C) + a)
    a32 = a.astype(np.float32)
    blocked = np.eye(C, dtype=np.float32)
    s = 1
    while s < C:  # L21 = -L22 (A21 L11) for every pair of s-blocks
        for b in range(0, C, 2 * s):
            l11, l22 = blocked[b:b + s, b:b + s], blocked[b + s:b + 2 * s, b + s:b + 2 * s]
            blocked[b + s:b + 2 * s, b:b + s] = -(l22 @ (a32[b + s:b + 2 * s, b:b + s] @ l11))
        s *= 2
    power, p, s = np.eye(C, dtype=np.float32) - a32, -a32, 2
    while s < C:  # (I - A)(I + A^2)(I + A^4)...
        p = p @ p
        power = power + power @ p
        s *= 2
    scale = np.abs(exact).max()
    e_blocked = float(np.abs(blocked - exact).max() / scale)
    e_power = float(np.abs(power - exact).max() / scale)
    ok = e_blocked <= 1e-5 and e_power > 1e-2
    print("%s aligned regime, C = %d: doubling blocks %.2e, power series %.2e"
          % ("PASS" if ok else "FAIL", C, e_blocked, e_power), flush=True)
    return ok


def cases():
    return {
        "gdn": (instantiate(GDN, H=GDN_H, HV=GDN_HV, K=K, V=V), gdn_inputs,
                ops.gated_delta_net),
        "delta": (instantiate(DELTA, H=DN_H, K=K, V=V), delta_inputs, ops.delta_net),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hymir-run", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("--kv", type=int, nargs=2, default=None, metavar=("K", "V"),
                    help="other head dims, with a shorter grid (T in 1, 37, 300 at "
                    "C = 16 and 64): multiples of 16 take the products' 16 x 16 "
                    "block transposes")
    ap.add_argument("--gpu-chunk-forms", action="store_true",
                    help="the chunked runs in the CUDA pipeline's form (hymir-run "
                    "--gpu-chunk-forms), T in 1, 37, 65, 300 at C = 16 and 64")
    args = ap.parse_args()
    global K, V
    work = args.work or tempfile.mkdtemp(prefix="chunked-delta-")
    os.makedirs(work, exist_ok=True)

    # (op, regime, B, T, C)
    grid = []
    if args.gpu_chunk_forms:
        for T in (1, 37, 65, 300):
            for C in (16, 64):
                grid.append(("gdn", "typical", 2, T, C))
                grid.append(("delta", "aligned", 2, T, C))
        grid.append(("gdn", "near0", 2, 300, 64))
        grid.append(("delta", "neg2", 2, 300, 64))
    elif args.kv:
        K, V = args.kv
        for T in (1, 37, 300):
            for C in (16, 64):
                grid.append(("gdn", "typical", 2, T, C))
                grid.append(("delta", "sigmoid", 2, T, C))
    for B in (1, 2) if not (args.kv or args.gpu_chunk_forms) else ():
        for T in (1, 37, 64, 65, 300, 1000):
            grid.append(("gdn", "typical", B, T, 64))
            grid.append(("delta", "sigmoid", B, T, 64))
    for T in (37, 300) if not (args.kv or args.gpu_chunk_forms) else ():
        grid.append(("gdn", "typical", 2, T, 16))
        grid.append(("delta", "sigmoid", 2, T, 16))
    for regime in ("near1", "near0") if not (args.kv or args.gpu_chunk_forms) else ():
        for T in (65, 1000):
            grid.append(("gdn", regime, 2, T, 64))
    for T in (65, 1000) if not args.kv and not args.gpu_chunk_forms else ():
        grid.append(("delta", "neg2", 2, T, 64))
        grid.append(("delta", "aligned", 2, T, 64))

    regime_ok = aligned_regime_check() if any(c[1] == "aligned" for c in grid) else True
    extra = ["--gpu-chunk-forms"] if args.gpu_chunk_forms else []
    failed = run_grid(grid, cases(), args.hymir_run, work, extra) + (not regime_ok)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
