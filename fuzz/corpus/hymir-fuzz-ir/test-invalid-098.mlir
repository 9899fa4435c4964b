func.func @scan_c9_max_of_square(%i: tensor<?x?xf32>, %m0: tensor<?xf32>) {
  %m = hymir.scan ins(%i : tensor<?x?xf32>) inits(%m0 : tensor<?xf32>) -> () {
  ^bb0(%it: f32, %mt: f32):
    %sq = arith.mulf %mt, %mt : f32
    %mn = arith.maximumf %sq, %it : f32
    hymir.yield %mn : f32
  }
  return
}
