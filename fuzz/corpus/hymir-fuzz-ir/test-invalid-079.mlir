func.func @read_c2_result(%s: tensor<4x6xf32>, %q: tensor<4xf32>) {
  %r = hymir.read %s, %q : tensor<4x6xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}
