func.func @recurrence_c1_param_dynamic(%x: tensor<?x?x4xf32>, %p: tensor<?xf32>, %s0: tensor<?x4xf32>) {
  %s = hymir.recurrence ins(%x : tensor<?x?x4xf32>) params(%p : tensor<?xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %pt: tensor<?xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
