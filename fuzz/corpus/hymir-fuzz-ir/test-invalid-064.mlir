func.func @recurrence_c5_output_batch(%x: tensor<2x?x4xf32>, %s0: tensor<2x4xf32>) {
  %o, %s = hymir.recurrence ins(%x : tensor<2x?x4xf32>) inits(%s0 : tensor<2x4xf32>) -> (tensor<3x?x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st, %st : tensor<4xf32>, tensor<4xf32>
  }
  return
}
