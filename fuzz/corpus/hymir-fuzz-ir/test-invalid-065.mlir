func.func @recurrence_c6_arg_type(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  %s = hymir.recurrence ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: f32):
    %z = arith.constant dense<0.0> : tensor<4xf32>
    hymir.yield %z : tensor<4xf32>
  }
  return
}
