func.func @read_c1_size(%s: tensor<4x6xf32>, %q: tensor<4xf32>) {
  %r = hymir.read %s, %q along cols : tensor<4x6xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}
