func.func @scan_c9_read_with_state_vector(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %a = hymir.read %st, %vt along cols : tensor<4x6xf32>, tensor<6xf32> -> tensor<4xf32>
    %b = hymir.read %st, %a : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %u = hymir.outer %kt, %b : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
