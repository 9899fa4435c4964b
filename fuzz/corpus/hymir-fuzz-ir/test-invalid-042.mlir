func.func @scan_c2_input_rank(%x: tensor<?x?xf32>, %s0: tensor<?x2x4xf32>) {
  %s = hymir.scan heads = 2 ins(%x : tensor<?x?xf32>) inits(%s0 : tensor<?x2x4xf32>) -> () {
  ^bb0(%xt: f32, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
