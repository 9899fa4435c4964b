func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>,
                %i: tensor<?x?x2xf32>, %f: tensor<?x?x2xf32>, %C0: tensor<?x2x12x20xf32>,
                %n0: tensor<?x2x12xf32>, %m0: tensor<?x2xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>) {
  %h, %C_T, %n_T, %m_T = hymir.scan heads = 2
      ins(%q, %k, %v, %i, %f : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
          tensor<?x?x2x20xf32>, tensor<?x?x2xf32>, tensor<?x?x2xf32>)
      inits(%C0, %n0, %m0 : tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>)
      -> (tensor<?x?x2x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %i_t: f32, %f_t: f32,
       %C: tensor<12x20xf32>, %n: tensor<12xf32>, %m: f32):
    %zero = arith.constant 0.0 : f32
    %eps = arith.constant 1.0e-06 : f32
    %inv_sqrt_k = arith.constant 0.288675129 : f32
    %x = arith.negf %f_t : f32
    %x_abs = math.absf %x : f32
    %x_nabs = arith.negf %x_abs : f32
    %x_exp = math.exp %x_nabs : f32
    %x_log1p = math.log1p %x_exp : f32
    %x_pos = arith.maximumf %x, %zero : f32
    %softplus = arith.addf %x_pos, %x_log1p : f32
    %lf = arith.negf %softplus : f32
    %lf_m = arith.addf %lf, %m : f32
    %m_new = arith.maximumf %lf_m, %i_t : f32
    %f_log = arith.subf %lf_m, %m_new : f32
    %f_gate = math.exp %f_log : f32
    %i_log = arith.subf %i_t, %m_new : f32
    %i_gate = math.exp %i_log : f32
    %C_decayed = hymir.scale %C, %f_gate : tensor<12x20xf32>, f32
    %v_i = hymir.scale %v_t, %i_gate : tensor<20xf32>, f32
    %kv = hymir.outer %k_t, %v_i : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %C_new = arith.addf %C_decayed, %kv : tensor<12x20xf32>
    %n_decayed = hymir.scale %n, %f_gate : tensor<12xf32>, f32
    %k_i = hymir.scale %k_t, %i_gate : tensor<12xf32>, f32
    %n_new = arith.addf %n_decayed, %k_i : tensor<12xf32>
    %q_s = hymir.scale %q_t, %inv_sqrt_k : tensor<12xf32>, f32
    %num = hymir.read %C_new, %q_s : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %nq = hymir.dot %n_new, %q_s : tensor<12xf32>, tensor<12xf32> -> f32
    %nq_abs = math.absf %nq : f32
    %m_neg = arith.negf %m_new : f32
    %m_floor = math.exp %m_neg : f32
    %den_max = arith.maximumf %nq_abs, %m_floor : f32
    %den = arith.addf %den_max, %eps : f32
    %den_v = tensor.splat %den : tensor<20xf32>
    %h_t = arith.divf %num, %den_v : tensor<20xf32>
    hymir.yield %h_t, %C_new, %n_new, %m_new
        : tensor<20xf32>, tensor<12x20xf32>, tensor<12xf32>, f32
  }
  return %h, %C_T, %n_T, %m_T
      : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>
}
