func.func @main(%r: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>,
                %w: tensor<?x?x2x12xf32>, %u: tensor<2x12xf32>, %S0: tensor<?x2x12x20xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%r, %k, %v, %w : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>,
          tensor<?x?x2x12xf32>)
      params(%u : tensor<2x12xf32>)
      inits(%S0 : tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%r_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %w_t: tensor<12xf32>,
       %u_h: tensor<12xf32>, %S: tensor<12x20xf32>):
    %o_state = hymir.read %S, %r_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %ru = arith.mulf %r_t, %u_h : tensor<12xf32>
    %bonus = hymir.dot %ru, %k_t : tensor<12xf32>, tensor<12xf32> -> f32
    %o_bonus = hymir.scale %v_t, %bonus : tensor<20xf32>, f32
    %o_t = arith.addf %o_state, %o_bonus : tensor<20xf32>
    %ew = math.exp %w_t : tensor<12xf32>
    %log_decay = arith.negf %ew : tensor<12xf32>
    %alpha = math.exp %log_decay : tensor<12xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<12x20xf32>, tensor<12xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<12x20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>
}
