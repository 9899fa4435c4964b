func.func @scan_c2_heads(%x: tensor<?x?x3x4xf32>, %s0: tensor<?x4x4xf32>) {
  %s = hymir.scan heads = 4 ins(%x : tensor<?x?x3x4xf32>) inits(%s0 : tensor<?x4x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
