func.func @affine_delta_rule(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %b: tensor<?x?xf32>,
                             %s0: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
  %s = hymir.scan ins(%k, %v, %b : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %bt: f32, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %vt, %p : tensor<6xf32>
    %u = hymir.scale %e, %bt : tensor<6xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %ku : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return %s : tensor<?x4x6xf32>
}
