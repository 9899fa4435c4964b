func.func @outer_c1_rank_r(%k: tensor<2x4xf32>, %v: tensor<3x6xf32>) {
  %r = hymir.outer %k, %v : tensor<2x4xf32>, tensor<3x6xf32> -> tensor<4x6xf32>
  return
}
