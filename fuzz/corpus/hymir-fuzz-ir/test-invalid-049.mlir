func.func @scan_c4_init_batch(%x: tensor<2x?x4xf32>, %s0: tensor<3x4xf32>) {
  %s = hymir.scan ins(%x : tensor<2x?x4xf32>) inits(%s0 : tensor<3x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
