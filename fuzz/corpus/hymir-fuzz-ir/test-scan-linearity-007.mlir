func.func @affine_cycle(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>,
                        %m0: tensor<?x4x6xf32>) {
  %s, %m = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%s0, %m0 : tensor<?x4x6xf32>, tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>, %mt: tensor<4x6xf32>):
    %p = hymir.read %mt, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %p, %vt : tensor<6xf32>
    %grad = hymir.outer %kt, %e : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.subf %st, %grad : tensor<4x6xf32>
    %mn = arith.addf %mt, %sn : tensor<4x6xf32>
    hymir.yield %sn, %mn : tensor<4x6xf32>, tensor<4x6xf32>
  }
  return
}
