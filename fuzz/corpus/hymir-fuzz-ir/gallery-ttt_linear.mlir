func.func @main(%q: tensor<?x?x2x20xf32>, %k: tensor<?x?x2x20xf32>, %v: tensor<?x?x2x20xf32>,
                %eta: tensor<?x?x2xf32>, %ln_w: tensor<2x20xf32>, %ln_b: tensor<2x20xf32>,
                %W0: tensor<?x2x20x20xf32>, %b0: tensor<?x2x20xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x20x20xf32>, tensor<?x2x20xf32>) {
  %o, %W_start_T, %c_start_T, %W_T, %b_T = hymir.recurrence heads = 2
      ins(%q, %k, %v, %eta : tensor<?x?x2x20xf32>, tensor<?x?x2x20xf32>, tensor<?x?x2x20xf32>,
          tensor<?x?x2xf32>)
      params(%ln_w, %ln_b : tensor<2x20xf32>, tensor<2x20xf32>)
      inits(%W0, %b0, %W0, %b0
          : tensor<?x2x20x20xf32>, tensor<?x2x20xf32>, tensor<?x2x20x20xf32>, tensor<?x2x20xf32>)
      -> (tensor<?x?x2x20xf32>) {
  ^bb0(%t: index, %q_t: tensor<20xf32>, %k_t: tensor<20xf32>, %v_t: tensor<20xf32>, %eta_t: f32,
       %lw: tensor<20xf32>, %lb: tensor<20xf32>, %W_start: tensor<20x20xf32>,
       %c_start: tensor<20xf32>, %W: tensor<20x20xf32>, %c: tensor<20xf32>):
    %c0_i64 = arith.constant 0 : i64
    %c15_i64 = arith.constant 15 : i64
    %dim = arith.constant 20.0 : f32
    %eps = arith.constant 1.0e-06 : f32
    %t_i64 = arith.index_cast %t : index to i64
    %t_mod = arith.andi %t_i64, %c15_i64 : i64
    %first = arith.cmpi eq, %t_mod, %c0_i64 : i64
    %Ws = arith.select %first, %W, %W_start : tensor<20x20xf32>
    %cs = arith.select %first, %c, %c_start : tensor<20xf32>
    %kW = hymir.read %Ws, %k_t : tensor<20x20xf32>, tensor<20xf32> -> tensor<20xf32>
    %Z = arith.addf %kW, %cs : tensor<20xf32>
    %Z_hat = hymir.layer_norm %Z {eps = 1.0e-06 : f32} : tensor<20xf32>
    %Z_sum = hymir.sum %Z : tensor<20xf32> -> f32
    %Z_mean = arith.divf %Z_sum, %dim : f32
    %Z_mean_v = tensor.splat %Z_mean : tensor<20xf32>
    %Z_c = arith.subf %Z, %Z_mean_v : tensor<20xf32>
    %Z_ss = hymir.dot %Z_c, %Z_c : tensor<20xf32>, tensor<20xf32> -> f32
    %Z_var = arith.divf %Z_ss, %dim : f32
    %Z_var_eps = arith.addf %Z_var, %eps : f32
    %sigma = math.sqrt %Z_var_eps : f32
    %lwZ = arith.mulf %lw, %Z_hat : tensor<20xf32>
    %pred = arith.addf %lwZ, %lb : tensor<20xf32>
    %target = arith.subf %v_t, %k_t : tensor<20xf32>
    %e = arith.subf %pred, %target : tensor<20xf32>
    %g = arith.mulf %lw, %e : tensor<20xf32>
    %g_sum = hymir.sum %g : tensor<20xf32> -> f32
    %g_mean = arith.divf %g_sum, %dim : f32
    %gZ = arith.mulf %g, %Z_hat : tensor<20xf32>
    %gZ_sum = hymir.sum %gZ : tensor<20xf32> -> f32
    %gZ_mean = arith.divf %gZ_sum, %dim : f32
    %g_mean_v = tensor.splat %g_mean : tensor<20xf32>
    %G0 = arith.subf %g, %g_mean_v : tensor<20xf32>
    %Z_proj = hymir.scale %Z_hat, %gZ_mean : tensor<20xf32>, f32
    %G1 = arith.subf %G0, %Z_proj : tensor<20xf32>
    %sigma_v = tensor.splat %sigma : tensor<20xf32>
    %G = arith.divf %G1, %sigma_v : tensor<20xf32>
    %eta_G = hymir.scale %G, %eta_t : tensor<20xf32>, f32
    %kG = hymir.outer %k_t, %eta_G : tensor<20xf32>, tensor<20xf32> -> tensor<20x20xf32>
    %W_new = arith.subf %W, %kG : tensor<20x20xf32>
    %c_new = arith.subf %c, %eta_G : tensor<20xf32>
    %qW = hymir.read %W_new, %q_t : tensor<20x20xf32>, tensor<20xf32> -> tensor<20xf32>
    %Y = arith.addf %qW, %c_new : tensor<20xf32>
    %Y_hat = hymir.layer_norm %Y {eps = 1.0e-06 : f32} : tensor<20xf32>
    %lwY = arith.mulf %lw, %Y_hat : tensor<20xf32>
    %o_res = arith.addf %q_t, %lwY : tensor<20xf32>
    %o_t = arith.addf %o_res, %lb : tensor<20xf32>
    hymir.yield %o_t, %Ws, %cs, %W_new, %c_new
        : tensor<20xf32>, tensor<20x20xf32>, tensor<20xf32>, tensor<20x20xf32>, tensor<20xf32>
  }
  return %o, %W_T, %b_T : tensor<?x?x2x20xf32>, tensor<?x2x20x20xf32>, tensor<?x2x20xf32>
}
