func.func @outer_c1_rank(%k: tensor<2x4xf32>, %v: tensor<6xf32>) {
  %r = hymir.outer %k, %v : tensor<2x4xf32>, tensor<6xf32> -> tensor<4x6xf32>
  return
}
