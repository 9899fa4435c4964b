func.func @scan_keep_used_outputs(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) -> tensor<?x?x4xf32> {
  %o, %s = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %sn = arith.addf %st, %xt : tensor<4xf32>
    hymir.yield %sn, %sn : tensor<4xf32>, tensor<4xf32>
  }
  return %o : tensor<?x?x4xf32>
}
