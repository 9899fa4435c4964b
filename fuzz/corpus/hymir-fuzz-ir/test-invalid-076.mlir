func.func @outer_c2_result(%k: tensor<4xf32>, %v: tensor<6xf32>) {
  %r = hymir.outer %k, %v : tensor<4xf32>, tensor<6xf32> -> tensor<6x4xf32>
  return
}
