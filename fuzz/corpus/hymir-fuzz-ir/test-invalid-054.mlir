func.func @scan_c6_arg_count(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  %s = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
