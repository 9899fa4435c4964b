// Bench shape of examples/ops/kda.mlir: H = 16 q/k/v heads, K = V = 128, scale = 1/√128;
// l2norm of q/k, the per-key softplus gate and sigmoid β inside the body.
//   S' = diag(exp(gk_t)) S_{t−1},  u_t = β_t (v_t − S'ᵀ k̂_t),  S_t = S' + k̂_t ⊗ u_t,
//   o_t = S_tᵀ (scale · q̂_t),  gk_t = −exp(A_log) · softplus(g_raw_t + dt_bias)

func.func @main(%q: tensor<?x?x16x128xf32>, %k: tensor<?x?x16x128xf32>, %v: tensor<?x?x16x128xf32>,
                %g_raw: tensor<?x?x16x128xf32>, %b: tensor<?x?x16xf32>, %A_log: tensor<16xf32>,
                %dt_bias: tensor<16x128xf32>, %S0: tensor<?x16x128x128xf32>)
    -> (tensor<?x?x16x128xf32>, tensor<?x16x128x128xf32>) {
  %A_exp = math.exp %A_log : tensor<16xf32>
  %A = arith.negf %A_exp : tensor<16xf32>
  %o, %S_T = hymir.scan heads = 16
      ins(%q, %k, %v, %g_raw, %b : tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>,
          tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>, tensor<?x?x16xf32>)
      params(%A, %dt_bias : tensor<16xf32>, tensor<16x128xf32>)
      inits(%S0 : tensor<?x16x128x128xf32>) -> (tensor<?x?x16x128xf32>) {
  ^bb0(%q_t: tensor<128xf32>, %k_t: tensor<128xf32>, %v_t: tensor<128xf32>, %g_t: tensor<128xf32>,
       %b_t: f32, %A_h: f32, %dt_bias_h: tensor<128xf32>, %S: tensor<128x128xf32>):
    %zero = arith.constant dense<0.0> : tensor<128xf32>
    %one = arith.constant 1.0 : f32
    %scale = arith.constant 0.088388348 : f32
    %q_n = hymir.l2_norm %q_t {eps = 1.0e-06 : f32} : tensor<128xf32>
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<128xf32>
    %x = arith.addf %g_t, %dt_bias_h : tensor<128xf32>
    %x_abs = math.absf %x : tensor<128xf32>
    %x_nabs = arith.negf %x_abs : tensor<128xf32>
    %x_exp = math.exp %x_nabs : tensor<128xf32>
    %x_log1p = math.log1p %x_exp : tensor<128xf32>
    %x_pos = arith.maximumf %x, %zero : tensor<128xf32>
    %softplus = arith.addf %x_pos, %x_log1p : tensor<128xf32>
    %gk_t = hymir.scale %softplus, %A_h : tensor<128xf32>, f32
    %b_neg = arith.negf %b_t : f32
    %b_exp = math.exp %b_neg : f32
    %b_den = arith.addf %one, %b_exp : f32
    %beta_t = arith.divf %one, %b_den : f32
    %alpha = math.exp %gk_t : tensor<128xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<128x128xf32>, tensor<128xf32>
    %pred = hymir.read %S_decayed, %k_n : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    %err = arith.subf %v_t, %pred : tensor<128xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<128xf32>, f32
    %ku = hymir.outer %k_n, %u_t : tensor<128xf32>, tensor<128xf32> -> tensor<128x128xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<128x128xf32>
    %q_s = hymir.scale %q_n, %scale : tensor<128xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    hymir.yield %o_t, %S_new : tensor<128xf32>, tensor<128x128xf32>
  }
  return %o, %S_T : tensor<?x?x16x128xf32>, tensor<?x16x128x128xf32>
}
