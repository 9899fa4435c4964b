func.func @scan_c2_length(%x: tensor<?x5x4xf32>, %y: tensor<?x6x4xf32>, %s0: tensor<?x4xf32>) {
  %s = hymir.scan ins(%x, %y : tensor<?x5x4xf32>, tensor<?x6x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %yt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
