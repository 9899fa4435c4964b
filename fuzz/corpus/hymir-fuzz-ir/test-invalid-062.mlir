func.func @recurrence_c3_param_heads(%x: tensor<?x?x4x4xf32>, %p: tensor<3xf32>, %s0: tensor<?x4x4xf32>) {
  %s = hymir.recurrence heads = 4 ins(%x : tensor<?x?x4x4xf32>) params(%p : tensor<3xf32>) inits(%s0 : tensor<?x4x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %pt: f32, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
