func.func @dot_c1_shape(%a: tensor<4xf32>, %b: tensor<6xf32>) {
  %r = hymir.dot %a, %b : tensor<4xf32>, tensor<6xf32> -> f32
  return
}
