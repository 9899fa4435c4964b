func.func @scan_c9_max_plus_in_cycle(%a: tensor<?x?xf32>, %m0: tensor<?xf32>, %n0: tensor<?xf32>) {
  %m, %n = hymir.scan ins(%a : tensor<?x?xf32>) inits(%m0, %n0 : tensor<?xf32>, tensor<?xf32>) -> () {
  ^bb0(%at: f32, %mt: f32, %nt: f32):
    %x = arith.addf %mt, %at : f32
    %mn = arith.maximumf %x, %nt : f32
    %nn = arith.addf %mt, %at : f32
    hymir.yield %mn, %nn : f32, f32
  }
  return
}
