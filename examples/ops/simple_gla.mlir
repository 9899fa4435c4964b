// simple_gla — linear attention with a data-dependent scalar decay per head (GLA's scalar form).
// OPS.md §7; EXAMPLES.md §4.10.
//
//   H = 3, K = 12, V = 20, scale = 1/√12; g_t ≤ 0 is the log-decay, given directly.
//
//     S_t = exp(g_t) S_{t−1} + k_t ⊗ v_t
//     o_t = S_tᵀ (scale · q_t)
//
// Mapping: `hymir.scan heads = 3`; the per-head scalar g_t [B, T, 3] reaches the body as an
// f32; decay by `hymir.scale` with a scalar factor, classified `scalar` (T1).

func.func @main(%q: tensor<?x?x3x12xf32>, %k: tensor<?x?x3x12xf32>, %v: tensor<?x?x3x20xf32>,
                %g: tensor<?x?x3xf32>, %S0: tensor<?x3x12x20xf32>)
    -> (tensor<?x?x3x20xf32>, tensor<?x3x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 3
      ins(%q, %k, %v, %g : tensor<?x?x3x12xf32>, tensor<?x?x3x12xf32>, tensor<?x?x3x20xf32>,
          tensor<?x?x3xf32>)
      inits(%S0 : tensor<?x3x12x20xf32>) -> (tensor<?x?x3x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %g_t: f32,
       %S: tensor<12x20xf32>):
    %scale = arith.constant 0.288675129 : f32
    // S_t = exp(g_t) S_{t−1} + k_t ⊗ v_t
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<12x20xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<12x20xf32>
    // o_t = S_tᵀ (scale · q_t)
    %q_s = hymir.scale %q_t, %scale : tensor<12xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x3x20xf32>, tensor<?x3x12x20xf32>
}
