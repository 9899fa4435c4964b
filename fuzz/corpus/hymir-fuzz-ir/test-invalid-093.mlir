func.func @scan_c9_divide_by_state(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %n = hymir.sum %st : tensor<4x6xf32> -> f32
    %one = arith.constant 1.0 : f32
    %r = arith.divf %one, %n : f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %u = hymir.scale %kv, %r : tensor<4x6xf32>, f32
    %sn = arith.addf %st, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
