func.func @scan_c9_exp_of_read(%k: tensor<?x?x4xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = math.exp %p : tensor<6xf32>
    %u = hymir.outer %kt, %e : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
