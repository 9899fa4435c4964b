func.func @scan_c9_max_of_scaled_state(%i: tensor<?x?xf32>, %m0: tensor<?xf32>) {
  %m = hymir.scan ins(%i : tensor<?x?xf32>) inits(%m0 : tensor<?xf32>) -> () {
  ^bb0(%it: f32, %mt: f32):
    %two = arith.constant 2.0 : f32
    %m2 = arith.mulf %mt, %two : f32
    %mn = arith.maximumf %m2, %it : f32
    hymir.yield %mn : f32
  }
  return
}
