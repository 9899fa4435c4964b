func.func @scan_c3_param_heads(%x: tensor<?x?x2x4xf32>, %p: tensor<3x4xf32>, %s0: tensor<?x2x4xf32>) {
  %s = hymir.scan heads = 2 ins(%x : tensor<?x?x2x4xf32>) params(%p : tensor<3x4xf32>) inits(%s0 : tensor<?x2x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %pt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
