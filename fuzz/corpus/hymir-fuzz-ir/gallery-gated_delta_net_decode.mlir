func.func @main(%q: tensor<?x2x12xf32>, %k: tensor<?x2x12xf32>, %v: tensor<?x4x20xf32>,
                %a: tensor<?x4xf32>, %b: tensor<?x4xf32>, %A_log: tensor<4xf32>,
                %dt_bias: tensor<4xf32>, %S: tensor<?x4x12x20xf32>)
    -> (tensor<?x4x20xf32>, tensor<?x4x12x20xf32>) {
  %c0 = arith.constant 0 : index
  %B = tensor.dim %q, %c0 : tensor<?x2x12xf32>
  %q1 = tensor.expand_shape %q [[0, 1], [2], [3]] output_shape [%B, 1, 2, 12]
      : tensor<?x2x12xf32> into tensor<?x1x2x12xf32>
  %k1 = tensor.expand_shape %k [[0, 1], [2], [3]] output_shape [%B, 1, 2, 12]
      : tensor<?x2x12xf32> into tensor<?x1x2x12xf32>
  %v1 = tensor.expand_shape %v [[0, 1], [2], [3]] output_shape [%B, 1, 4, 20]
      : tensor<?x4x20xf32> into tensor<?x1x4x20xf32>
  %a1 = tensor.expand_shape %a [[0, 1], [2]] output_shape [%B, 1, 4]
      : tensor<?x4xf32> into tensor<?x1x4xf32>
  %b1 = tensor.expand_shape %b [[0, 1], [2]] output_shape [%B, 1, 4]
      : tensor<?x4xf32> into tensor<?x1x4xf32>
  %A_exp = math.exp %A_log : tensor<4xf32>
  %A = arith.negf %A_exp : tensor<4xf32>
  %o1, %S_new = hymir.scan heads = 4
      ins(%q1, %k1, %v1, %a1, %b1 : tensor<?x1x2x12xf32>, tensor<?x1x2x12xf32>,
          tensor<?x1x4x20xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>)
      params(%A, %dt_bias : tensor<4xf32>, tensor<4xf32>)
      inits(%S : tensor<?x4x12x20xf32>) -> (tensor<?x1x4x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %a_t: f32, %b_t: f32,
       %A_h: f32, %dt_bias_h: f32, %S_old: tensor<12x20xf32>):
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %scale = arith.constant 0.288675129 : f32
    %q_n = hymir.l2_norm %q_t {eps = 1.0e-06 : f32} : tensor<12xf32>
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<12xf32>
    %x = arith.addf %a_t, %dt_bias_h : f32
    %x_abs = math.absf %x : f32
    %x_nabs = arith.negf %x_abs : f32
    %x_exp = math.exp %x_nabs : f32
    %x_log1p = math.log1p %x_exp : f32
    %x_pos = arith.maximumf %x, %zero : f32
    %softplus = arith.addf %x_pos, %x_log1p : f32
    %g_t = arith.mulf %A_h, %softplus : f32
    %b_neg = arith.negf %b_t : f32
    %b_exp = math.exp %b_neg : f32
    %b_den = arith.addf %one, %b_exp : f32
    %beta_t = arith.divf %one, %b_den : f32
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S_old, %alpha : tensor<12x20xf32>, f32
    %pred = hymir.read %S_decayed, %k_n : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %err = arith.subf %v_t, %pred : tensor<20xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<20xf32>, f32
    %ku = hymir.outer %k_n, %u_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_upd = arith.addf %S_decayed, %ku : tensor<12x20xf32>
    %q_s = hymir.scale %q_n, %scale : tensor<12xf32>, f32
    %o_t = hymir.read %S_upd, %q_s : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_upd : tensor<20xf32>, tensor<12x20xf32>
  }
  %o = tensor.collapse_shape %o1 [[0, 1], [2], [3]] : tensor<?x1x4x20xf32> into tensor<?x4x20xf32>
  return %o, %S_new : tensor<?x4x20xf32>, tensor<?x4x12x20xf32>
}
