func.func @scale_c1_element_type(%s: tensor<4x6xf32>, %a: f16) {
  %r = hymir.scale %s, %a : tensor<4x6xf32>, f16
  return
}
