func.func @scan_c8_heads(%x: tensor<?x?x1x4xf32>, %s0: tensor<?x0x4xf32>) {
  %s = hymir.scan heads = 0 ins(%x : tensor<?x?x1x4xf32>) inits(%s0 : tensor<?x0x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
