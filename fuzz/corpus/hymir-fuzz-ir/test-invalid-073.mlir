func.func @scale_c2_factor_size(%s: tensor<4x6xf32>, %a: tensor<4xf32>) {
  %r = hymir.scale %s, %a along cols : tensor<4x6xf32>, tensor<4xf32>
  return
}
