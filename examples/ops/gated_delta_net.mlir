// gated_delta_net — Gated DeltaNet with GVA, all gate activations inside.
// OPS.md §10; EXAMPLES.md §4.14.
//
//   H = 2 q/k heads, HV = 4 value heads (value head h reads q/k head h // 2), K = 12, V = 20,
//   scale = 1/√12.
//
//     q̂_t = l2norm(q_t[h // 2]),  k̂_t = l2norm(k_t[h // 2])        (eps 1e-6 inside the sqrt)
//     g_t = −exp(A_log[h]) · softplus(a_t[h] + dt_bias[h]),   β_t = sigmoid(b_t[h])
//     S'  = exp(g_t) S_{t−1}
//     u_t = β_t (v_t − S'ᵀ k̂_t),   S_t = S' + k̂_t ⊗ u_t
//           (= exp(g_t) (I − β_t k̂_t k̂_tᵀ) S_{t−1} + β_t k̂_t ⊗ v_t)
//     o_t = S_tᵀ (scale · q̂_t)
//
// Mapping: `hymir.scan heads = 4` over the value heads; q/k with 2 heads are read by block
// mapping (GVA is structural). A = −exp(A_log) is computed on the parameter before the scan;
// the per-token producers (l2norm, softplus gate, sigmoid β) are fused into the body.
// Classified `dplr` (T3) with decay = scalar.

func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x4x20xf32>,
                %a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>, %A_log: tensor<4xf32>,
                %dt_bias: tensor<4xf32>, %S0: tensor<?x4x12x20xf32>)
    -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>) {
  // A = −exp(A_log)
  %A_exp = math.exp %A_log : tensor<4xf32>
  %A = arith.negf %A_exp : tensor<4xf32>
  %o, %S_T = hymir.scan heads = 4
      ins(%q, %k, %v, %a, %b : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
          tensor<?x?x4x20xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      params(%A, %dt_bias : tensor<4xf32>, tensor<4xf32>)
      inits(%S0 : tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %a_t: f32, %b_t: f32,
       %A_h: f32, %dt_bias_h: f32, %S: tensor<12x20xf32>):
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %scale = arith.constant 0.288675129 : f32
    // q̂_t, k̂_t = l2norm(q_t), l2norm(k_t)
    %q_n = hymir.l2_norm %q_t {eps = 1.0e-06 : f32} : tensor<12xf32>
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<12xf32>
    // g_t = A_h · softplus(a_t + dt_bias_h),  softplus(x) = max(x, 0) + log1p(exp(−|x|))
    %x = arith.addf %a_t, %dt_bias_h : f32
    %x_abs = math.absf %x : f32
    %x_nabs = arith.negf %x_abs : f32
    %x_exp = math.exp %x_nabs : f32
    %x_log1p = math.log1p %x_exp : f32
    %x_pos = arith.maximumf %x, %zero : f32
    %softplus = arith.addf %x_pos, %x_log1p : f32
    %g_t = arith.mulf %A_h, %softplus : f32
    // β_t = sigmoid(b_t) = 1 / (1 + exp(−b_t))
    %b_neg = arith.negf %b_t : f32
    %b_exp = math.exp %b_neg : f32
    %b_den = arith.addf %one, %b_exp : f32
    %beta_t = arith.divf %one, %b_den : f32
    // S' = exp(g_t) S_{t−1}
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<12x20xf32>, f32
    // u_t = β_t (v_t − S'ᵀ k̂_t);  S_t = S' + k̂_t ⊗ u_t
    %pred = hymir.read %S_decayed, %k_n : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %err = arith.subf %v_t, %pred : tensor<20xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<20xf32>, f32
    %ku = hymir.outer %k_n, %u_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<12x20xf32>
    // o_t = S_tᵀ (scale · q̂_t)
    %q_s = hymir.scale %q_n, %scale : tensor<12xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>
}
