func.func @scan_c9_state_dependent_decay(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %f = hymir.dot %p, %vt : tensor<6xf32>, tensor<6xf32> -> f32
    %sd = hymir.scale %st, %f : tensor<4x6xf32>, f32
    %u = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
