// Bench shape of examples/ops/rwkv7.mlir: H = 16 heads, K = V = 128, scale 1. The in-context
// learning rate's structure is formed inside the body, as RWKV-7's time mix does before the
// kernel: κ̂ = l2norm(κ_t), a_t = −κ̂, b_t = κ̂ ⊙ sigmoid(ã_t); w_t is the log-decay (≤ 0).
//   S_t = diag(exp(w_t)) S_{t−1} + b_t ⊗ (S_{t−1}ᵀ a_t) + k_t ⊗ v_t,   o_t = S_tᵀ r_t

func.func @main(%r: tensor<?x?x16x128xf32>, %w: tensor<?x?x16x128xf32>, %k: tensor<?x?x16x128xf32>,
                %v: tensor<?x?x16x128xf32>, %kappa: tensor<?x?x16x128xf32>,
                %a_raw: tensor<?x?x16x128xf32>, %S0: tensor<?x16x128x128xf32>)
    -> (tensor<?x?x16x128xf32>, tensor<?x16x128x128xf32>) {
  %o, %S_T = hymir.scan heads = 16
      ins(%r, %w, %k, %v, %kappa, %a_raw : tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>,
          tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>,
          tensor<?x?x16x128xf32>)
      inits(%S0 : tensor<?x16x128x128xf32>) -> (tensor<?x?x16x128xf32>) {
  ^bb0(%r_t: tensor<128xf32>, %w_t: tensor<128xf32>, %k_t: tensor<128xf32>, %v_t: tensor<128xf32>,
       %kappa_t: tensor<128xf32>, %ar_t: tensor<128xf32>, %S: tensor<128x128xf32>):
    %one = arith.constant dense<1.0> : tensor<128xf32>
    %kn = hymir.l2_norm %kappa_t {eps = 1.0e-06 : f32} : tensor<128xf32>
    %a_t = arith.negf %kn : tensor<128xf32>
    // b_t = κ̂ ⊙ sigmoid(ã_t)
    %ar_neg = arith.negf %ar_t : tensor<128xf32>
    %ar_exp = math.exp %ar_neg : tensor<128xf32>
    %ar_den = arith.addf %one, %ar_exp : tensor<128xf32>
    %rate = arith.divf %one, %ar_den : tensor<128xf32>
    %b_t = arith.mulf %kn, %rate : tensor<128xf32>
    %alpha = math.exp %w_t : tensor<128xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<128x128xf32>, tensor<128xf32>
    %Sa = hymir.read %S, %a_t : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    %corr = hymir.outer %b_t, %Sa : tensor<128xf32>, tensor<128xf32> -> tensor<128x128xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<128xf32>, tensor<128xf32> -> tensor<128x128xf32>
    %S_mid = arith.addf %S_decayed, %corr : tensor<128x128xf32>
    %S_new = arith.addf %S_mid, %kv : tensor<128x128xf32>
    %o_t = hymir.read %S_new, %r_t : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    hymir.yield %o_t, %S_new : tensor<128xf32>, tensor<128x128xf32>
  }
  return %o, %S_T : tensor<?x?x16x128xf32>, tensor<?x16x128x128xf32>
}
