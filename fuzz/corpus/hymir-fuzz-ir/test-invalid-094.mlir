func.func @scan_c9_select_on_state(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %n = hymir.sum %p : tensor<6xf32> -> f32
    %z = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %n, %z : f32
    %u = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %u : tensor<4x6xf32>
    %r = arith.select %c, %sn, %st : tensor<4x6xf32>
    hymir.yield %r : tensor<4x6xf32>
  }
  return
}
