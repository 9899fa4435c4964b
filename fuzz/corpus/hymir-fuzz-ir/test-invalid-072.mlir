func.func @scale_c2_missing_axis(%s: tensor<4x6xf32>, %a: tensor<4xf32>) {
  %r = hymir.scale %s, %a : tensor<4x6xf32>, tensor<4xf32>
  return
}
