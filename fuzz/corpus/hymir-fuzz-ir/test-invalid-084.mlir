func.func @mix_c2_result(%m: tensor<3x5xf32>, %s: tensor<5x4x6xf32>) {
  %r = hymir.mix %m, %s : tensor<3x5xf32>, tensor<5x4x6xf32> -> tensor<5x4x6xf32>
  return
}
