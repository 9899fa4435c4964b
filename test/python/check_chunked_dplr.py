#!/usr/bin/python3
"""The chunked diagonal-plus-low-rank form (hymir-chunk-scans: the general dplr transition of
RWKV-7, per-key decay with the chunk's scores element-wise in the exponent and a unit-lower
triangular solve for the corrections) on awkward shapes, against a float64 oracle and against the sequential
fallback.

  check_chunked_dplr.py --hymir-run PATH [--work DIR]

Two scans with head dims that are not powers of two, K = 24, V = 40, 3 heads:
  * rwkv7's body (examples/ops/rwkv7.mlir): the correction b (x) (S_{t-1}^T a) reads the
    un-decayed state; oracle ops.rwkv7;
  * a variant whose correction reads the decayed state, S' = diag(exp(w_t)) S_{t-1},
    S_t = S' + b (x) (S'^T a) + k (x) v, with RWKV-style skip (r . (u * k)) v added to the
    output; oracle decayed_oracle below, a token loop in float64.

Inputs are random (fixed seeds), never zero; the initial state is non-zero. a and b have
RWKV-7's structure, a = -kappa, b = kappa * a~ with |kappa| = 1 and a~ in (0, 1) (the
transition diag(w) - (a~ kappa) kappa^T keeps the state bounded); "strong" takes a~ in
(0.9, 1), where I - A_ab is farthest from the identity. Log-decay regimes:
  typical  -0.6 sigmoid(N(0, 2)) (RWKV-7's range, w >= -0.6065)
  near1    ~ -1e-4 (nothing forgets within a chunk)
  near0    ~ -30 (exp(G) underflows within a sub-chunk)
  mixed    per key channel either ~ -1e-4 or ~ -30

Per case the chunked code (hymir-run --target=cpu, --chunk-size=C, --threads=1) must match
  * the oracle: relative RMS <= 1e-4 for the output and the final state;
  * the sequential fallback (--chunk-size=0): <= 1e-5;
  * itself at --threads=2: byte-identical outputs.
The form caps its chunk at 8 (chunk-size 32 runs as 8); chunk-size 5 runs chunks of 5. T
covers one step, a tail of 5 steps (37), exactly one chunk (8), one chunk plus one step, and
long sequences; B in {1, 2}. Prints one line per case with the
measured errors, then 'N passed, M failed'; exit status 1 if any failed.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chunked_check  # noqa: E402
from chunked_check import instantiate  # noqa: E402
from check_chunked_gla import log_decay  # noqa: E402
from hymir_oracle import ops  # noqa: E402

K, V, H = 24, 40, 3

RWKV7 = """
func.func @main(%r: tensor<?x?x{H}x{K}xf32>, %w: tensor<?x?x{H}x{K}xf32>,
                %k: tensor<?x?x{H}x{K}xf32>, %v: tensor<?x?x{H}x{V}xf32>,
                %a: tensor<?x?x{H}x{K}xf32>, %b: tensor<?x?x{H}x{K}xf32>,
                %S0: tensor<?x{H}x{K}x{V}xf32>)
    -> (tensor<?x?x{H}x{V}xf32>, tensor<?x{H}x{K}x{V}xf32>) {
  %o, %S_T = hymir.scan heads = {H}
      ins(%r, %w, %k, %v, %a, %b : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{V}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{H}x{K}xf32>)
      inits(%S0 : tensor<?x{H}x{K}x{V}xf32>) -> (tensor<?x?x{H}x{V}xf32>) {
  ^bb0(%r_t: tensor<{K}xf32>, %w_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>,
       %v_t: tensor<{V}xf32>, %a_t: tensor<{K}xf32>, %b_t: tensor<{K}xf32>,
       %S: tensor<{K}x{V}xf32>):
    %alpha = math.exp %w_t : tensor<{K}xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<{K}x{V}xf32>, tensor<{K}xf32>
    %Sa = hymir.read %S, %a_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %corr = hymir.outer %b_t, %Sa : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_mid = arith.addf %S_decayed, %corr : tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_mid, %kv : tensor<{K}x{V}xf32>
    %o_t = hymir.read %S_new, %r_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{H}x{V}xf32>, tensor<?x{H}x{K}x{V}xf32>
}
"""

# The correction reads the decayed state; the sum is written k (x) v first; a skip term.
DECAYED = """
func.func @main(%r: tensor<?x?x{H}x{K}xf32>, %w: tensor<?x?x{H}x{K}xf32>,
                %k: tensor<?x?x{H}x{K}xf32>, %v: tensor<?x?x{H}x{V}xf32>,
                %a: tensor<?x?x{H}x{K}xf32>, %b: tensor<?x?x{H}x{K}xf32>,
                %u: tensor<{H}x{K}xf32>, %S0: tensor<?x{H}x{K}x{V}xf32>)
    -> (tensor<?x?x{H}x{V}xf32>, tensor<?x{H}x{K}x{V}xf32>) {
  %o, %S_T = hymir.scan heads = {H}
      ins(%r, %w, %k, %v, %a, %b : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{V}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{H}x{K}xf32>)
      params(%u : tensor<{H}x{K}xf32>)
      inits(%S0 : tensor<?x{H}x{K}x{V}xf32>) -> (tensor<?x?x{H}x{V}xf32>) {
  ^bb0(%r_t: tensor<{K}xf32>, %w_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>,
       %v_t: tensor<{V}xf32>, %a_t: tensor<{K}xf32>, %b_t: tensor<{K}xf32>,
       %u_h: tensor<{K}xf32>, %S: tensor<{K}x{V}xf32>):
    %alpha = math.exp %w_t : tensor<{K}xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<{K}x{V}xf32>, tensor<{K}xf32>
    %Sa = hymir.read %S_decayed, %a_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %corr = hymir.outer %b_t, %Sa : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_mid = arith.addf %kv, %S_decayed : tensor<{K}x{V}xf32>
    %S_new = arith.addf %corr, %S_mid : tensor<{K}x{V}xf32>
    %o_state = hymir.read %S_new, %r_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %ru = arith.mulf %r_t, %u_h : tensor<{K}xf32>
    %bonus = hymir.dot %ru, %k_t : tensor<{K}xf32>, tensor<{K}xf32> -> f32
    %o_bonus = hymir.scale %v_t, %bonus : tensor<{V}xf32>, f32
    %o_t = arith.addf %o_bonus, %o_state : tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{H}x{V}xf32>, tensor<?x{H}x{K}x{V}xf32>
}
"""


def dplr_inputs(rng, B, T, regime):
    """r, w, k, v, a, b, S0 with RWKV-7's a and b (see the module docstring)."""
    if regime == "strong":
        a_tilde = rng.uniform(0.9, 1.0, (B, T, H, K))
        w = -0.6 / (1.0 + np.exp(-2.0 * rng.standard_normal((B, T, H, K))))
    else:
        a_tilde = 1.0 / (1.0 + np.exp(-rng.standard_normal((B, T, H, K))))
        if regime == "typical":
            w = -0.6 / (1.0 + np.exp(-2.0 * rng.standard_normal((B, T, H, K))))
        else:
            w = log_decay(rng, (B, T, H, K), regime)
    kappa = rng.standard_normal((B, T, H, K))
    kappa /= np.linalg.norm(kappa, axis=-1, keepdims=True)
    return [rng.standard_normal((B, T, H, K)), w, 0.3 * rng.standard_normal((B, T, H, K)),
            rng.standard_normal((B, T, H, V)), -kappa, kappa * a_tilde,
            0.5 * rng.standard_normal((B, H, K, V))]


def decayed_inputs(rng, B, T, regime):
    x = dplr_inputs(rng, B, T, regime)
    return x[:6] + [rng.standard_normal((H, K))] + x[6:]


def decayed_oracle(r, w, k, v, a, b, u, S0):
    """S' = diag(exp(w_t)) S;  S_t = S' + b_t (x) (S'^T a_t) + k_t (x) v_t;
    o_t = S_t^T r_t + (r_t . (u * k_t)) v_t."""
    Bt, T = r.shape[:2]
    o = np.zeros(v.shape)
    ST = np.zeros(S0.shape)
    for bb in range(Bt):
        for h in range(H):
            S = S0[bb, h].astype(np.float64)
            for t in range(T):
                Sd = np.exp(w[bb, t, h])[:, None] * S
                S = Sd + np.outer(b[bb, t, h], Sd.T @ a[bb, t, h]) \
                    + np.outer(k[bb, t, h], v[bb, t, h])
                o[bb, t, h] = S.T @ r[bb, t, h] \
                    + np.dot(r[bb, t, h] * u[h], k[bb, t, h]) * v[bb, t, h]
            ST[bb, h] = S
    return o, ST


CASES = {
    "rwkv7": (instantiate(RWKV7, H=H, K=K, V=V), dplr_inputs, ops.rwkv7),
    "decayed": (instantiate(DECAYED, H=H, K=K, V=V), decayed_inputs, decayed_oracle),
}


def grid():
    """(op, regime, B, T, C) of every case."""
    cases = []
    for B in (1, 2):
        for T in (1, 37, 8, 9, 300):
            cases.append(("rwkv7", "typical", B, T, 32))
    for T in (1, 37, 1000):
        cases.append(("decayed", "typical", 2, T, 32))
    for op in ("rwkv7", "decayed"):
        cases.append((op, "typical", 2, 300, 5))
        cases.append((op, "mixed", 1, 300, 5))
        for regime in ("near1", "near0", "mixed", "strong"):
            cases.append((op, regime, 2, 65, 32))
    cases.append(("rwkv7", "strong", 1, 1000, 32))
    return cases


if __name__ == "__main__":
    sys.exit(chunked_check.main(CASES, grid(), "chunked-dplr-"))
