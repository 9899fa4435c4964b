func.func @select_reset(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %r: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k, %v, %r : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %rt: f32, %st: tensor<4x6xf32>):
    %z = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %rt, %z : f32
    %zero = arith.constant dense<0.0> : tensor<4x6xf32>
    %kept = arith.select %c, %zero, %st : tensor<4x6xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %kept, %kv : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
