// gla — gated linear attention with a per-key (diagonal) decay.
// OPS.md §8; EXAMPLES.md §4.11.
//
//   H = 2, K = 12, V = 20, scale = 1/√12; gk_t ≤ 0 is the log-decay per key channel, given
//   directly (the layer's logsigmoid(·)/16 is outside).
//
//     S_t = diag(exp(gk_t)) S_{t−1} + k_t ⊗ v_t        (row i of S scaled by exp(gk_t[i]))
//     o_t = S_tᵀ (scale · q_t)
//
// Mapping: `hymir.scan heads = 2`; decay by `hymir.scale … along rows` (a per-key factor),
// classified `diagonal` (T2) with decay = rows.

func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>,
                %gk: tensor<?x?x2x12xf32>, %S0: tensor<?x2x12x20xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v, %gk : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>,
          tensor<?x?x2x12xf32>)
      inits(%S0 : tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %gk_t: tensor<12xf32>,
       %S: tensor<12x20xf32>):
    %scale = arith.constant 0.288675129 : f32
    // S_t = diag(exp(gk_t)) S_{t−1} + k_t ⊗ v_t
    %alpha = math.exp %gk_t : tensor<12xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<12x20xf32>, tensor<12xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<12x20xf32>
    // o_t = S_tᵀ (scale · q_t)
    %q_s = hymir.scale %q_t, %scale : tensor<12xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>
}
