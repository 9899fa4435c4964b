func.func @main(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x4x12xf32>, %v: tensor<?x?x4x20xf32>,
                %S0: tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>) {
  %gamma = arith.constant dense<[0.96875, 0.984375, 0.9921875, 0.99609375]> : tensor<4xf32>
  %o, %S_T = hymir.scan heads = 4
      ins(%q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x4x12xf32>, tensor<?x?x4x20xf32>)
      params(%gamma : tensor<4xf32>)
      inits(%S0 : tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %gamma_h: f32,
       %S: tensor<12x20xf32>):
    %scale = arith.constant 0.288675129 : f32
    %S_decayed = hymir.scale %S, %gamma_h : tensor<12x20xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<12x20xf32>
    %q_s = hymir.scale %q_t, %scale : tensor<12xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>
}
