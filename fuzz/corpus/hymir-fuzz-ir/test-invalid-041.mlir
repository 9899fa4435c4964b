func.func @scan_c1_dynamic_step_dim(%x: tensor<?x?x?xf32>, %s0: tensor<?x4xf32>) {
  %s = hymir.scan ins(%x : tensor<?x?x?xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<?xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
