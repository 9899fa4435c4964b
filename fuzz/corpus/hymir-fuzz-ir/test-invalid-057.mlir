func.func @scan_c7_yield_type(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  %o, %s = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> (tensor<?x?xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st, %st : tensor<4xf32>, tensor<4xf32>
  }
  return
}
