func.func @main(%x: tensor<?x?x3x20xf32>, %dt: tensor<?x?x3xf32>, %A_log: tensor<3xf32>,
                %B_ssm: tensor<?x?x1x12xf32>, %C_ssm: tensor<?x?x1x12xf32>, %D_skip: tensor<3xf32>,
                %dt_bias: tensor<3xf32>, %S0: tensor<?x3x12x20xf32>)
    -> (tensor<?x?x3x20xf32>, tensor<?x3x12x20xf32>) {
  %A_exp = math.exp %A_log : tensor<3xf32>
  %A = arith.negf %A_exp : tensor<3xf32>
  %y, %S_T = hymir.scan heads = 3
      ins(%x, %dt, %B_ssm, %C_ssm : tensor<?x?x3x20xf32>, tensor<?x?x3xf32>,
          tensor<?x?x1x12xf32>, tensor<?x?x1x12xf32>)
      params(%A, %D_skip, %dt_bias : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
      inits(%S0 : tensor<?x3x12x20xf32>) -> (tensor<?x?x3x20xf32>) {
  ^bb0(%x_t: tensor<20xf32>, %dt_t: f32, %B_t: tensor<12xf32>, %C_t: tensor<12xf32>, %A_h: f32,
       %D_h: f32, %dt_bias_h: f32, %S: tensor<12x20xf32>):
    %zero = arith.constant 0.0 : f32
    %v = arith.addf %dt_t, %dt_bias_h : f32
    %v_abs = math.absf %v : f32
    %v_nabs = arith.negf %v_abs : f32
    %v_exp = math.exp %v_nabs : f32
    %v_log1p = math.log1p %v_exp : f32
    %v_pos = arith.maximumf %v, %zero : f32
    %delta = arith.addf %v_pos, %v_log1p : f32
    %dA = arith.mulf %delta, %A_h : f32
    %alpha = math.exp %dA : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<12x20xf32>, f32
    %x_dt = hymir.scale %x_t, %delta : tensor<20xf32>, f32
    %Bx = hymir.outer %B_t, %x_dt : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S_decayed, %Bx : tensor<12x20xf32>
    %SC = hymir.read %S_new, %C_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %Dx = hymir.scale %x_t, %D_h : tensor<20xf32>, f32
    %y_t = arith.addf %SC, %Dx : tensor<20xf32>
    hymir.yield %y_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %y, %S_T : tensor<?x?x3x20xf32>, tensor<?x3x12x20xf32>
}
