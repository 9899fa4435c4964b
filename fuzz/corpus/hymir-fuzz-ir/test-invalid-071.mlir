func.func @scale_c2_factor_rank(%s: tensor<4x6xf32>, %a: tensor<4x6xf32>) {
  %r = hymir.scale %s, %a along rows : tensor<4x6xf32>, tensor<4x6xf32>
  return
}
