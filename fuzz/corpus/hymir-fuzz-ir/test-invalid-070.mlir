func.func @scale_c2_scalar_axis(%s: tensor<4x6xf32>, %a: f32) {
  %r = hymir.scale %s, %a along rows : tensor<4x6xf32>, f32
  return
}
