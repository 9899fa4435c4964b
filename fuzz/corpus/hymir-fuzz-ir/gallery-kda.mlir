func.func @main(%q: tensor<?x?x2x20xf32>, %k: tensor<?x?x2x20xf32>, %v: tensor<?x?x2x12xf32>,
                %g_raw: tensor<?x?x2x20xf32>, %b: tensor<?x?x2xf32>, %A_log: tensor<2xf32>,
                %dt_bias: tensor<2x20xf32>, %S0: tensor<?x2x20x12xf32>)
    -> (tensor<?x?x2x12xf32>, tensor<?x2x20x12xf32>) {
  %A_exp = math.exp %A_log : tensor<2xf32>
  %A = arith.negf %A_exp : tensor<2xf32>
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v, %g_raw, %b : tensor<?x?x2x20xf32>, tensor<?x?x2x20xf32>,
          tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>, tensor<?x?x2xf32>)
      params(%A, %dt_bias : tensor<2xf32>, tensor<2x20xf32>)
      inits(%S0 : tensor<?x2x20x12xf32>) -> (tensor<?x?x2x12xf32>) {
  ^bb0(%q_t: tensor<20xf32>, %k_t: tensor<20xf32>, %v_t: tensor<12xf32>, %g_t: tensor<20xf32>,
       %b_t: f32, %A_h: f32, %dt_bias_h: tensor<20xf32>, %S: tensor<20x12xf32>):
    %zero = arith.constant dense<0.0> : tensor<20xf32>
    %one = arith.constant 1.0 : f32
    %scale = arith.constant 0.223606795 : f32
    %q_n = hymir.l2_norm %q_t {eps = 1.0e-06 : f32} : tensor<20xf32>
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<20xf32>
    %x = arith.addf %g_t, %dt_bias_h : tensor<20xf32>
    %x_abs = math.absf %x : tensor<20xf32>
    %x_nabs = arith.negf %x_abs : tensor<20xf32>
    %x_exp = math.exp %x_nabs : tensor<20xf32>
    %x_log1p = math.log1p %x_exp : tensor<20xf32>
    %x_pos = arith.maximumf %x, %zero : tensor<20xf32>
    %softplus = arith.addf %x_pos, %x_log1p : tensor<20xf32>
    %gk_t = hymir.scale %softplus, %A_h : tensor<20xf32>, f32
    %b_neg = arith.negf %b_t : f32
    %b_exp = math.exp %b_neg : f32
    %b_den = arith.addf %one, %b_exp : f32
    %beta_t = arith.divf %one, %b_den : f32
    %alpha = math.exp %gk_t : tensor<20xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<20x12xf32>, tensor<20xf32>
    %pred = hymir.read %S_decayed, %k_n : tensor<20x12xf32>, tensor<20xf32> -> tensor<12xf32>
    %err = arith.subf %v_t, %pred : tensor<12xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<12xf32>, f32
    %ku = hymir.outer %k_n, %u_t : tensor<20xf32>, tensor<12xf32> -> tensor<20x12xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<20x12xf32>
    %q_s = hymir.scale %q_n, %scale : tensor<20xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<20x12xf32>, tensor<20xf32> -> tensor<12xf32>
    hymir.yield %o_t, %S_new : tensor<12xf32>, tensor<20x12xf32>
  }
  return %o, %S_T : tensor<?x?x2x12xf32>, tensor<?x2x20x12xf32>
}
