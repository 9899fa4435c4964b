#!/usr/bin/python3
"""Q K^T shared by the heads of a query/key group (hymir-chunk-scans{share-group-scores}, on in
the CPU pipeline), on awkward shapes, against a float64 oracle and the sequential fallback.

  check_group_scores.py --hymir-run PATH [--work DIR]

Two scalar-decay scans whose queries and keys are read by several heads (block mapping: head
h reads group h // 3), head dims that are not powers of two:
  * Mamba-2 SSD (examples/ops/mamba2_ssd.mlir) with 2 B/C groups of N = 24 and 6 heads of
    P = 40: the softplus of dt and the D skip are per head, B and C per group;
  * simple GLA (examples/ops/simple_gla.mlir) with GVA: 2 q/k heads of K = 24, 6 value/decay
    heads of V = 40; its oracle is ops.simple_gla on the q/k heads repeated.
The initial states are non-zero. Per case (see chunked_check.run_grid) the chunked code must
match the oracle (relative RMS <= 1e-4), the sequential fallback (<= 1e-5) and itself at 2
threads byte for byte, at T = 1, a tail of 37 steps, one chunk, one chunk plus a step and
300 steps, B in {1, 2}, C = 64, and T in {37, 300} at C = 16.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chunked_check  # noqa: E402
from chunked_check import instantiate  # noqa: E402
from hymir_oracle import ops  # noqa: E402

K, V = 24, 40
H, HV = 2, 6

MAMBA2 = """
func.func @main(%x: tensor<?x?x{HV}x{V}xf32>, %dt: tensor<?x?x{HV}xf32>, %A_log: tensor<{HV}xf32>,
                %B_ssm: tensor<?x?x{H}x{K}xf32>, %C_ssm: tensor<?x?x{H}x{K}xf32>,
                %D_skip: tensor<{HV}xf32>, %dt_bias: tensor<{HV}xf32>,
                %S0: tensor<?x{HV}x{K}x{V}xf32>)
    -> (tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>) {
  %A_exp = math.exp %A_log : tensor<{HV}xf32>
  %A = arith.negf %A_exp : tensor<{HV}xf32>
  %y, %S_T = hymir.scan heads = {HV}
      ins(%x, %dt, %B_ssm, %C_ssm : tensor<?x?x{HV}x{V}xf32>, tensor<?x?x{HV}xf32>,
          tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>)
      params(%A, %D_skip, %dt_bias : tensor<{HV}xf32>, tensor<{HV}xf32>, tensor<{HV}xf32>)
      inits(%S0 : tensor<?x{HV}x{K}x{V}xf32>) -> (tensor<?x?x{HV}x{V}xf32>) {
  ^bb0(%x_t: tensor<{V}xf32>, %dt_t: f32, %B_t: tensor<{K}xf32>, %C_t: tensor<{K}xf32>,
       %A_h: f32, %D_h: f32, %dt_bias_h: f32, %S: tensor<{K}x{V}xf32>):
    %zero = arith.constant 0.0 : f32
    %v = arith.addf %dt_t, %dt_bias_h : f32
    %v_abs = math.absf %v : f32
    %v_nabs = arith.negf %v_abs : f32
    %v_exp = math.exp %v_nabs : f32
    %v_log1p = math.log1p %v_exp : f32
    %v_pos = arith.maximumf %v, %zero : f32
    %delta = arith.addf %v_pos, %v_log1p : f32
    %dA = arith.mulf %delta, %A_h : f32
    %alpha = math.exp %dA : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<{K}x{V}xf32>, f32
    %x_dt = hymir.scale %x_t, %delta : tensor<{V}xf32>, f32
    %Bx = hymir.outer %B_t, %x_dt : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_decayed, %Bx : tensor<{K}x{V}xf32>
    %SC = hymir.read %S_new, %C_t : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    %Dx = hymir.scale %x_t, %D_h : tensor<{V}xf32>, f32
    %y_t = arith.addf %SC, %Dx : tensor<{V}xf32>
    hymir.yield %y_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %y, %S_T : tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>
}
"""

SIMPLE_GLA = """
func.func @main(%q: tensor<?x?x{H}x{K}xf32>, %k: tensor<?x?x{H}x{K}xf32>,
                %v: tensor<?x?x{HV}x{V}xf32>, %g: tensor<?x?x{HV}xf32>,
                %S0: tensor<?x{HV}x{K}x{V}xf32>)
    -> (tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>) {
  %o, %S_T = hymir.scan heads = {HV}
      ins(%q, %k, %v, %g : tensor<?x?x{H}x{K}xf32>, tensor<?x?x{H}x{K}xf32>,
          tensor<?x?x{HV}x{V}xf32>, tensor<?x?x{HV}xf32>)
      inits(%S0 : tensor<?x{HV}x{K}x{V}xf32>) -> (tensor<?x?x{HV}x{V}xf32>) {
  ^bb0(%q_t: tensor<{K}xf32>, %k_t: tensor<{K}xf32>, %v_t: tensor<{V}xf32>, %g_t: f32,
       %S: tensor<{K}x{V}xf32>):
    %scale = arith.constant 0.288675129 : f32
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<{K}x{V}xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<{K}xf32>, tensor<{V}xf32> -> tensor<{K}x{V}xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<{K}x{V}xf32>
    %q_s = hymir.scale %q_t, %scale : tensor<{K}xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<{K}x{V}xf32>, tensor<{K}xf32> -> tensor<{V}xf32>
    hymir.yield %o_t, %S_new : tensor<{V}xf32>, tensor<{K}x{V}xf32>
  }
  return %o, %S_T : tensor<?x?x{HV}x{V}xf32>, tensor<?x{HV}x{K}x{V}xf32>
}
"""


def mamba2_inputs(rng, B, T, _regime):
    return [rng.standard_normal((B, T, HV, V)), rng.standard_normal((B, T, HV)),
            np.log(rng.uniform(1.0, 16.0, HV)), rng.standard_normal((B, T, H, K)),
            rng.standard_normal((B, T, H, K)), rng.uniform(0.5, 1.5, HV),
            np.log(np.expm1(rng.uniform(0.001, 0.1, HV))),
            0.5 * rng.standard_normal((B, HV, K, V))]


def simple_gla_inputs(rng, B, T, _regime):
    return [rng.standard_normal((B, T, H, K)), rng.standard_normal((B, T, H, K)),
            rng.standard_normal((B, T, HV, V)),
            -np.log1p(np.exp(-rng.standard_normal((B, T, HV)))) / 16.0,
            0.5 * rng.standard_normal((B, HV, K, V))]


def simple_gla_oracle(q, k, v, g, S0):
    rep = HV // H
    return ops.simple_gla(np.repeat(q, rep, axis=2), np.repeat(k, rep, axis=2), v, g, S0)


CASES = {
    "mamba2": (instantiate(MAMBA2, H=H, HV=HV, K=K, V=V), mamba2_inputs, ops.mamba2_ssd),
    "simple_gla": (instantiate(SIMPLE_GLA, H=H, HV=HV, K=K, V=V), simple_gla_inputs,
                   simple_gla_oracle),
}


def grid():
    """(op, regime, B, T, C) of every case."""
    cases = []
    for op in CASES:
        for B in (1, 2):
            for T in (1, 37, 64, 65, 300):
                cases.append((op, "typical", B, T, 64))
        for T in (37, 300):
            cases.append((op, "typical", 2, T, 16))
    return cases


if __name__ == "__main__":
    sys.exit(chunked_check.main(CASES, grid(), "group-scores-"))
