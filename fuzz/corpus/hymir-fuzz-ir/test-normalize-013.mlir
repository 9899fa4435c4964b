func.func @class_general_no_direct_part(%k: tensor<?x?x4xf32>, %a: tensor<?x?x4xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k, %a : tensor<?x?x4xf32>, tensor<?x?x4xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %at: tensor<4xf32>, %st: tensor<4x6xf32>):
    %r = hymir.read %st, %at : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %sn = hymir.outer %kt, %r : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
