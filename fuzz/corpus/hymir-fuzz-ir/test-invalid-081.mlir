func.func @dot_c2_result(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  %r = hymir.dot %a, %b : tensor<4xf32>, tensor<4xf32> -> f16
  return
}
