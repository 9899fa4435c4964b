// gdn_decode.mlir with the output read rewritten (an experiment for issue #5's decode):
//   o = S_newᵀ q = (S' + k ⊗ u)ᵀ q = S'ᵀ q + u (k · q)
// so both reads are of S' and nothing reads the updated state.

func.func @main(%q: tensor<?x16x128xf32>, %k: tensor<?x16x128xf32>, %v: tensor<?x16x128xf32>,
                %a: tensor<?x16xf32>, %b: tensor<?x16xf32>, %A_log: tensor<16xf32>,
                %dt_bias: tensor<16xf32>, %S: tensor<?x16x128x128xf32>)
    -> (tensor<?x16x128xf32>, tensor<?x16x128x128xf32>) {
  %c0 = arith.constant 0 : index
  %B = tensor.dim %q, %c0 : tensor<?x16x128xf32>
  // [B, ...] -> [B, 1, ...]: a sequence of one token.
  %q1 = tensor.expand_shape %q [[0, 1], [2], [3]] output_shape [%B, 1, 16, 128]
      : tensor<?x16x128xf32> into tensor<?x1x16x128xf32>
  %k1 = tensor.expand_shape %k [[0, 1], [2], [3]] output_shape [%B, 1, 16, 128]
      : tensor<?x16x128xf32> into tensor<?x1x16x128xf32>
  %v1 = tensor.expand_shape %v [[0, 1], [2], [3]] output_shape [%B, 1, 16, 128]
      : tensor<?x16x128xf32> into tensor<?x1x16x128xf32>
  %a1 = tensor.expand_shape %a [[0, 1], [2]] output_shape [%B, 1, 16]
      : tensor<?x16xf32> into tensor<?x1x16xf32>
  %b1 = tensor.expand_shape %b [[0, 1], [2]] output_shape [%B, 1, 16]
      : tensor<?x16xf32> into tensor<?x1x16xf32>
  // A = −exp(A_log)
  %A_exp = math.exp %A_log : tensor<16xf32>
  %A = arith.negf %A_exp : tensor<16xf32>
  %o1, %S_new = hymir.scan heads = 16
      ins(%q1, %k1, %v1, %a1, %b1 : tensor<?x1x16x128xf32>, tensor<?x1x16x128xf32>,
          tensor<?x1x16x128xf32>, tensor<?x1x16xf32>, tensor<?x1x16xf32>)
      params(%A, %dt_bias : tensor<16xf32>, tensor<16xf32>)
      inits(%S : tensor<?x16x128x128xf32>) -> (tensor<?x1x16x128xf32>) {
  ^bb0(%q_t: tensor<128xf32>, %k_t: tensor<128xf32>, %v_t: tensor<128xf32>, %a_t: f32, %b_t: f32,
       %A_h: f32, %dt_bias_h: f32, %S_old: tensor<128x128xf32>):
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %scale = arith.constant 0.0883883476 : f32
    // q̂, k̂ = l2norm(q), l2norm(k)
    %q_n = hymir.l2_norm %q_t {eps = 1.0e-06 : f32} : tensor<128xf32>
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<128xf32>
    // g = A_h · softplus(a + dt_bias_h),  softplus(x) = max(x, 0) + log1p(exp(−|x|))
    %x = arith.addf %a_t, %dt_bias_h : f32
    %x_abs = math.absf %x : f32
    %x_nabs = arith.negf %x_abs : f32
    %x_exp = math.exp %x_nabs : f32
    %x_log1p = math.log1p %x_exp : f32
    %x_pos = arith.maximumf %x, %zero : f32
    %softplus = arith.addf %x_pos, %x_log1p : f32
    %g_t = arith.mulf %A_h, %softplus : f32
    // β = sigmoid(b) = 1 / (1 + exp(−b))
    %b_neg = arith.negf %b_t : f32
    %b_exp = math.exp %b_neg : f32
    %b_den = arith.addf %one, %b_exp : f32
    %beta_t = arith.divf %one, %b_den : f32
    // S' = exp(g) S
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S_old, %alpha : tensor<128x128xf32>, f32
    // u = β (v − S'ᵀ k̂);  S_new = S' + k̂ ⊗ u
    %pred = hymir.read %S_decayed, %k_n : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    %err = arith.subf %v_t, %pred : tensor<128xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<128xf32>, f32
    %ku = hymir.outer %k_n, %u_t : tensor<128xf32>, tensor<128xf32> -> tensor<128x128xf32>
    %S_upd = arith.addf %S_decayed, %ku : tensor<128x128xf32>
    // o = S'ᵀ (scale · q̂) + u (k̂ · scale q̂)
    %q_s = hymir.scale %q_n, %scale : tensor<128xf32>, f32
    %o_old = hymir.read %S_decayed, %q_s : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    %kq = hymir.dot %k_n, %q_s : tensor<128xf32>, tensor<128xf32> -> f32
    %o_new = hymir.scale %u_t, %kq : tensor<128xf32>, f32
    %o_t = arith.addf %o_old, %o_new : tensor<128xf32>
    hymir.yield %o_t, %S_upd : tensor<128xf32>, tensor<128x128xf32>
  }
  // [B, 1, 4, 20] -> [B, 4, 20]
  %o = tensor.collapse_shape %o1 [[0, 1], [2], [3]] : tensor<?x1x16x128xf32> into tensor<?x16x128xf32>
  return %o, %S_new : tensor<?x16x128xf32>, tensor<?x16x128x128xf32>
}
