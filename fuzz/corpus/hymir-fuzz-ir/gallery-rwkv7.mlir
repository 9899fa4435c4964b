func.func @main(%r: tensor<?x?x2x12xf32>, %w: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>,
                %v: tensor<?x?x2x20xf32>, %a: tensor<?x?x2x12xf32>, %b: tensor<?x?x2x12xf32>,
                %S0: tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%r, %w, %k, %v, %a, %b : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
          tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>)
      inits(%S0 : tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%r_t: tensor<12xf32>, %w_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>,
       %a_t: tensor<12xf32>, %b_t: tensor<12xf32>, %S: tensor<12x20xf32>):
    %alpha = math.exp %w_t : tensor<12xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<12x20xf32>, tensor<12xf32>
    %Sa = hymir.read %S, %a_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %corr = hymir.outer %b_t, %Sa : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_mid = arith.addf %S_decayed, %corr : tensor<12x20xf32>
    %S_new = arith.addf %S_mid, %kv : tensor<12x20xf32>
    %o_t = hymir.read %S_new, %r_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>
}
