func.func @scan_c9_state_times_state(%x: tensor<?x?x4x6xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%x : tensor<?x?x4x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%xt: tensor<4x6xf32>, %st: tensor<4x6xf32>):
    %sq = arith.mulf %st, %st : tensor<4x6xf32>
    %sn = arith.addf %sq, %xt : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
