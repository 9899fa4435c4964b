func.func @recurrence_c7_yield_type(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  %s = hymir.recurrence ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %n = hymir.sum %st : tensor<4xf32> -> f32
    hymir.yield %n : f32
  }
  return
}
