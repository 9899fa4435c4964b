func.func @scan_c5_output_heads(%x: tensor<?x?x1x4xf32>, %s0: tensor<?x2x4xf32>) {
  %o, %s = hymir.scan heads = 2 ins(%x : tensor<?x?x1x4xf32>) inits(%s0 : tensor<?x2x4xf32>) -> (tensor<?x?x1x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st, %st : tensor<4xf32>, tensor<4xf32>
  }
  return
}
