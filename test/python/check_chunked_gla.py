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
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chunked_check import instantiate, run_grid  # noqa: E402
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


CASES = {
    "gla": (instantiate(GLA, H=GLA_H, HV=GLA_HV, K=K, V=V), gla_inputs, gla_oracle),
    "rwkv6": (instantiate(RWKV6, H=RWKV_H, K=K, V=V), rwkv6_inputs, ops.rwkv6),
}


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

    failed = run_grid(grid, CASES, args.hymir_run, work)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
