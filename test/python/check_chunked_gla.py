#!/usr/bin/python3
"""The chunked diagonal forms (hymir-chunk-scans: per-key decay, sub-chunks with reference
points; with the delta rule, the UT/WY transform on those scores) on awkward shapes, against
a float64 oracle and against the sequential fallback.

  check_chunked_gla.py --hymir-run PATH [--work DIR]

Two scans with head dims that are not powers of two, K = 24, V = 40:
  * gla's body (examples/ops/gla.mlir) with GVA: 2 q/k/gk heads read by 6 value heads (value
    head h reads h // 3); the oracle runs ops.gla on the heads repeated;
  * rwkv6's body (examples/ops/rwkv6.mlir: the read of the previous state, the bonus u) with
    3 heads;
  * a KDA body (examples/ops/kda.mlir without its gate producers: the per-key log-decay and
    beta are inputs) with GVA, 2 q/k heads and 6 value/decay/beta heads, beta in (0, 2); its
    oracle is kda_oracle below, a token loop in float64 of OPS.md section 11.
The scale constant stays 1/sqrt(12) so that the oracle functions apply unchanged at any K.

Inputs are random (fixed seeds), never zero; the initial state is non-zero. Log-decay regimes:
  typical  GLA: logsigmoid(N(0, 1)) / 16 (~ -0.05); RWKV-6: -exp(w), w ~ U(-3, 1)
  near1    ~ -1e-4 (decay 0.9999: nothing forgets within a chunk)
  near0    ~ -30 (decay ~1e-13: exp(G) underflows within a sub-chunk)
  mixed    per key channel either ~ -1e-4 or ~ -30 (the reference points must hold per key)
KDA's typical log-decay is GLA's times 4 (~ -0.2).

Per case the chunked code (hymir-run --target=cpu, --chunk-size=C, --threads=1) must match
  * the oracle: relative RMS <= 1e-4 for the output and the final state;
  * the sequential fallback (--chunk-size=0): <= 1e-5;
  * itself at --threads=2: byte-identical outputs.
T covers one step, a tail of 37 steps, exactly one chunk (64), one chunk plus one step, and
long sequences; B in {1, 2}. Prints one line per case with the measured errors, then
'N passed, M failed'; exit status 1 if any failed.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chunked_check  # noqa: E402
from chunked_check import instantiate  # noqa: E402
from hymir_oracle import ops  # noqa: E402

K, V = 24, 40
GLA_H, GLA_HV = 2, 6
RWKV_H = 3

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

KDA = """
func.func @main(%q: tensor<?x?x{H}x{K}xf32>, %k: tensor<?x?x{H}x{K}xf32>,
                %v: tensor<?x?x{HV}x{V}xf32>, %gk: tensor<?x?x{HV}x{K}xf32>,
                %beta: tensor<?x?x{HV}xf32>, %S0: tensor<?x{HV}x{K}x{V}xf32>)
    -> (tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>) {
  %o, %S_T = hymir.scan heads = {HV}
      ins(%q, %k, %v, %gk, %beta : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{HV}x{V}xf32>, tensor<?x?x{HV}x{K}xf32>, tensor<?x?x{HV}xf32>)
      inits(%S0 : tensor<?x{HV}x{K}x{V}xf32>) -> (tensor<?x?x{HV}x{V}xf32>) {
  ^bb0(%q_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>, %v_t: tensor<{V}xf32>,
       %gk_t: tensor<{K}xf32>, %b_t: f32, %S: tensor<{K}x{V}xf32>):
    %scale = arith.constant 0.288675129 : f32
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<{K}xf32>
    %alpha = math.exp %gk_t : tensor<{K}xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<{K}x{V}xf32>, tensor<{K}xf32>
    %pred = hymir.read %S_decayed, %k_n : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %err = arith.subf %v_t, %pred : tensor<{V}xf32>
    %u_t = hymir.scale %err, %b_t : tensor<{V}xf32>, f32
    %ku = hymir.outer %k_n, %u_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<{K}x{V}xf32>
    %q_s = hymir.scale %q_t, %scale : tensor<{K}xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>
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


def kda_inputs(rng, B, T, regime):
    H, HV = GLA_H, GLA_HV
    g = log_decay(rng, (B, T, HV, K), regime)
    if regime == "typical":
        g = 4.0 * g
    return [rng.standard_normal((B, T, H, K)), rng.standard_normal((B, T, H, K)),
            rng.standard_normal((B, T, HV, V)), g, rng.uniform(0.0, 2.0, (B, T, HV)),
            0.5 * rng.standard_normal((B, HV, K, V))]


def kda_oracle(q, k, v, gk, beta, S0):
    """S' = diag(exp(gk_t)) S;  u = beta (v - S'^T kn);  S_t = S' + kn (x) u;
    o_t = S_t^T (q_t / sqrt(12)), kn = l2norm(k_t); value head h reads q/k head h // 3."""
    B, T, HV, _ = v.shape
    rep = HV // q.shape[2]
    scale = 1.0 / np.sqrt(12.0)
    o = np.zeros(v.shape)
    ST = np.zeros(S0.shape)
    for b in range(B):
        for h in range(HV):
            S = S0[b, h].astype(np.float64)
            for t in range(T):
                kn = ops.l2norm(k[b, t, h // rep])
                Sd = np.exp(gk[b, t, h])[:, None] * S
                u = beta[b, t, h] * (v[b, t, h] - Sd.T @ kn)
                S = Sd + np.outer(kn, u)
                o[b, t, h] = S.T @ (scale * q[b, t, h // rep])
            ST[b, h] = S
    return o, ST


CASES = {
    "gla": (instantiate(GLA, H=GLA_H, HV=GLA_HV, K=K, V=V), gla_inputs, gla_oracle),
    "rwkv6": (instantiate(RWKV6, H=RWKV_H, K=K, V=V), rwkv6_inputs, ops.rwkv6),
    "kda": (instantiate(KDA, H=GLA_H, HV=GLA_HV, K=K, V=V), kda_inputs, kda_oracle),
}


def grid():
    """(op, regime, B, T, C) of every case."""
    cases = []
    for B in (1, 2):
        for T in (1, 37, 64, 65, 300, 1000):
            cases.append(("gla", "typical", B, T, 64))
            cases.append(("rwkv6", "typical", B, T, 64))
            cases.append(("kda", "typical", B, T, 64))
    for T in (37, 300):
        for op in ("gla", "rwkv6", "kda"):
            cases.append((op, "typical", 2, T, 16))
    for regime in ("near1", "near0", "mixed"):
        for T in (65, 1000):
            for op in ("gla", "rwkv6", "kda"):
                cases.append((op, regime, 2, T, 64))
    for op in ("gla", "rwkv6", "kda"):
        cases.append((op, "mixed", 1, 300, 20))
    return cases


if __name__ == "__main__":
    sys.exit(chunked_check.main(CASES, grid(), "chunked-gla-"))
