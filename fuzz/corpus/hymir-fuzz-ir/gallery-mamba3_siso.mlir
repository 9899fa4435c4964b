func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x4x10xf32>,
                %adt: tensor<?x?x4xf32>, %dt: tensor<?x?x4xf32>, %trap: tensor<?x?x4xf32>,
                %q_bias: tensor<4x12xf32>, %k_bias: tensor<4x12xf32>,
                %angles: tensor<?x?x4x3xf32>, %D_skip: tensor<4xf32>, %z: tensor<?x?x4x10xf32>,
                %phi0: tensor<?x4x3xf32>, %S0: tensor<?x4x12x10xf32>, %k_prev0: tensor<?x4x12xf32>,
                %v_prev0: tensor<?x4x10xf32>)
    -> (tensor<?x?x4x10xf32>, tensor<?x4x3xf32>, tensor<?x4x12x10xf32>, tensor<?x4x12xf32>,
        tensor<?x4x10xf32>) {
  %out, %phi_T, %S_T, %k_prev_T, %v_prev_T = hymir.scan heads = 4
      ins(%q, %k, %v, %adt, %dt, %trap, %angles, %z
          : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x4x10xf32>, tensor<?x?x4xf32>,
            tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4x3xf32>, tensor<?x?x4x10xf32>)
      params(%q_bias, %k_bias, %D_skip : tensor<4x12xf32>, tensor<4x12xf32>, tensor<4xf32>)
      inits(%phi0, %S0, %k_prev0, %v_prev0
          : tensor<?x4x3xf32>, tensor<?x4x12x10xf32>, tensor<?x4x12xf32>, tensor<?x4x10xf32>)
      -> (tensor<?x?x4x10xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<10xf32>, %adt_t: f32,
       %dt_t: f32, %trap_t: f32, %ang_t: tensor<3xf32>, %z_t: tensor<10xf32>,
       %q_bias_h: tensor<12xf32>, %k_bias_h: tensor<12xf32>, %D_h: f32,
       %phi: tensor<3xf32>, %S: tensor<12x10xf32>, %k_prev: tensor<12xf32>,
       %v_prev: tensor<10xf32>):
    %pi = arith.constant dense<3.14159274> : tensor<3xf32>
    %two_pi = arith.constant dense<6.28318548> : tensor<3xf32>
    %one = arith.constant 1.0 : f32
    %one_v = arith.constant dense<1.0> : tensor<10xf32>
    %tanh = math.tanh %ang_t : tensor<3xf32>
    %theta = arith.mulf %pi, %tanh : tensor<3xf32>
    %incr = hymir.scale %theta, %dt_t : tensor<3xf32>, f32
    %phi_sum = arith.addf %phi, %incr : tensor<3xf32>
    %turns = arith.divf %phi_sum, %two_pi : tensor<3xf32>
    %turns_fl = math.floor %turns : tensor<3xf32>
    %wrap = arith.mulf %two_pi, %turns_fl : tensor<3xf32>
    %phi_new = arith.subf %phi_sum, %wrap : tensor<3xf32>
    %q_b = arith.addf %q_t, %q_bias_h : tensor<12xf32>
    %q_rot = hymir.rotary %q_b, %phi_new {interleaved} : tensor<12xf32>, tensor<3xf32>
    %k_b = arith.addf %k_t, %k_bias_h : tensor<12xf32>
    %k_rot = hymir.rotary %k_b, %phi_new {interleaved} : tensor<12xf32>, tensor<3xf32>
    %tr_neg = arith.negf %trap_t : f32
    %tr_exp = math.exp %tr_neg : f32
    %tr_den = arith.addf %one, %tr_exp : f32
    %lam = arith.divf %one, %tr_den : f32
    %alpha = math.exp %adt_t : f32
    %one_m_lam = arith.subf %one, %lam : f32
    %beta_dt = arith.mulf %one_m_lam, %dt_t : f32
    %beta = arith.mulf %beta_dt, %alpha : f32
    %gamma = arith.mulf %lam, %dt_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<12x10xf32>, f32
    %v_prev_b = hymir.scale %v_prev, %beta : tensor<10xf32>, f32
    %kv_prev = hymir.outer %k_prev, %v_prev_b : tensor<12xf32>, tensor<10xf32> -> tensor<12x10xf32>
    %v_g = hymir.scale %v_t, %gamma : tensor<10xf32>, f32
    %kv = hymir.outer %k_rot, %v_g : tensor<12xf32>, tensor<10xf32> -> tensor<12x10xf32>
    %S_mid = arith.addf %S_decayed, %kv_prev : tensor<12x10xf32>
    %S_new = arith.addf %S_mid, %kv : tensor<12x10xf32>
    %Sq = hymir.read %S_new, %q_rot : tensor<12x10xf32>, tensor<12xf32> -> tensor<10xf32>
    %Dv = hymir.scale %v_t, %D_h : tensor<10xf32>, f32
    %y_t = arith.addf %Sq, %Dv : tensor<10xf32>
    %z_neg = arith.negf %z_t : tensor<10xf32>
    %z_exp = math.exp %z_neg : tensor<10xf32>
    %z_den = arith.addf %one_v, %z_exp : tensor<10xf32>
    %z_sig = arith.divf %one_v, %z_den : tensor<10xf32>
    %z_silu = arith.mulf %z_t, %z_sig : tensor<10xf32>
    %out_t = arith.mulf %y_t, %z_silu : tensor<10xf32>
    hymir.yield %out_t, %phi_new, %S_new, %k_rot, %v_t
        : tensor<10xf32>, tensor<3xf32>, tensor<12x10xf32>, tensor<12xf32>, tensor<10xf32>
  }
  return %out, %phi_T, %S_T, %k_prev_T, %v_prev_T
      : tensor<?x?x4x10xf32>, tensor<?x4x3xf32>, tensor<?x4x12x10xf32>, tensor<?x4x12xf32>,
        tensor<?x4x10xf32>
}
