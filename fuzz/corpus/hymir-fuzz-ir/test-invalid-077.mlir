func.func @read_c1_rank(%s: tensor<4xf32>, %q: tensor<4xf32>) {
  %r = hymir.read %s, %q : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}
