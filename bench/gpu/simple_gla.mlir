// Bench shape of examples/ops/simple_gla.mlir (issue #5): H = 16, K = V = 128,
// scale = 1/sqrt(128); same body. Used by bench/gpu/run.sh.

func.func @main(%q: tensor<?x?x16x128xf32>, %k: tensor<?x?x16x128xf32>, %v: tensor<?x?x16x128xf32>,
                %g: tensor<?x?x16xf32>, %S0: tensor<?x16x128x128xf32>)
    -> (tensor<?x?x16x128xf32>, tensor<?x16x128x128xf32>) {
  %o, %S_T = hymir.scan heads = 16
      ins(%q, %k, %v, %g : tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>,
          tensor<?x?x16xf32>)
      inits(%S0 : tensor<?x16x128x128xf32>) -> (tensor<?x?x16x128xf32>) {
  ^bb0(%q_t: tensor<128xf32>, %k_t: tensor<128xf32>, %v_t: tensor<128xf32>, %g_t: f32,
       %S: tensor<128x128xf32>):
    %scale = arith.constant 0.0883883476 : f32
    // S_t = exp(g_t) S_{t−1} + k_t ⊗ v_t
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<128x128xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<128xf32>, tensor<128xf32> -> tensor<128x128xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<128x128xf32>
    // o_t = S_tᵀ (scale · q_t)
    %q_s = hymir.scale %q_t, %scale : tensor<128xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    hymir.yield %o_t, %S_new : tensor<128xf32>, tensor<128x128xf32>
  }
  return %o, %S_T : tensor<?x?x16x128xf32>, tensor<?x16x128x128xf32>
}
