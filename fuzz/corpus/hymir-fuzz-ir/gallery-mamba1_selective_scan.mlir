func.func @main(%u: tensor<?x?x24xf32>, %delta: tensor<?x?x24xf32>, %A_log: tensor<24x10xf32>,
                %B_ssm: tensor<?x?x10xf32>, %C_ssm: tensor<?x?x10xf32>, %D_skip: tensor<24xf32>,
                %z: tensor<?x?x24xf32>, %delta_bias: tensor<24xf32>, %h0: tensor<?x24x10xf32>)
    -> (tensor<?x?x24xf32>, tensor<?x24x10xf32>) {
  %A_exp = math.exp %A_log : tensor<24x10xf32>
  %A = arith.negf %A_exp : tensor<24x10xf32>
  %out, %h_T = hymir.scan
      ins(%u, %delta, %B_ssm, %C_ssm, %z : tensor<?x?x24xf32>, tensor<?x?x24xf32>,
          tensor<?x?x10xf32>, tensor<?x?x10xf32>, tensor<?x?x24xf32>)
      params(%A, %D_skip, %delta_bias : tensor<24x10xf32>, tensor<24xf32>, tensor<24xf32>)
      inits(%h0 : tensor<?x24x10xf32>) -> (tensor<?x?x24xf32>) {
  ^bb0(%u_t: tensor<24xf32>, %delta_t: tensor<24xf32>, %B_t: tensor<10xf32>,
       %C_t: tensor<10xf32>, %z_t: tensor<24xf32>, %A_p: tensor<24x10xf32>, %D_p: tensor<24xf32>,
       %bias_p: tensor<24xf32>, %h: tensor<24x10xf32>):
    %zero = arith.constant dense<0.0> : tensor<24xf32>
    %one = arith.constant dense<1.0> : tensor<24xf32>
    %x = arith.addf %delta_t, %bias_p : tensor<24xf32>
    %x_abs = math.absf %x : tensor<24xf32>
    %x_nabs = arith.negf %x_abs : tensor<24xf32>
    %x_exp = math.exp %x_nabs : tensor<24xf32>
    %x_log1p = math.log1p %x_exp : tensor<24xf32>
    %x_pos = arith.maximumf %x, %zero : tensor<24xf32>
    %dt = arith.addf %x_pos, %x_log1p : tensor<24xf32>
    %dA = hymir.scale %A_p, %dt along rows : tensor<24x10xf32>, tensor<24xf32>
    %decay = math.exp %dA : tensor<24x10xf32>
    %h_decayed = arith.mulf %decay, %h : tensor<24x10xf32>
    %dt_u = arith.mulf %dt, %u_t : tensor<24xf32>
    %upd = hymir.outer %dt_u, %B_t : tensor<24xf32>, tensor<10xf32> -> tensor<24x10xf32>
    %h_new = arith.addf %h_decayed, %upd : tensor<24x10xf32>
    %hC = hymir.read %h_new, %C_t along cols : tensor<24x10xf32>, tensor<10xf32> -> tensor<24xf32>
    %Du = arith.mulf %D_p, %u_t : tensor<24xf32>
    %y_t = arith.addf %hC, %Du : tensor<24xf32>
    %z_neg = arith.negf %z_t : tensor<24xf32>
    %z_exp = math.exp %z_neg : tensor<24xf32>
    %z_den = arith.addf %one, %z_exp : tensor<24xf32>
    %z_sig = arith.divf %one, %z_den : tensor<24xf32>
    %z_silu = arith.mulf %z_t, %z_sig : tensor<24xf32>
    %out_t = arith.mulf %y_t, %z_silu : tensor<24xf32>
    hymir.yield %out_t, %h_new : tensor<24xf32>, tensor<24x10xf32>
  }
  return %out, %h_T : tensor<?x?x24xf32>, tensor<?x24x10xf32>
}
