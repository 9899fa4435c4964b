func.func @mix_c1_matrix(%m: tensor<3x4xf32>, %s: tensor<5x4x6xf32>) {
  %r = hymir.mix %m, %s : tensor<3x4xf32>, tensor<5x4x6xf32> -> tensor<3x4x6xf32>
  return
}
