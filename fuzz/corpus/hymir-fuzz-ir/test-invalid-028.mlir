func.func @causal_conv1d_c3_missing_final(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>, %s: tensor<?x3x36xf32>) {
  %y = hymir.causal_conv1d %x, %w state(%s) : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<?x3x36xf32> -> tensor<?x?x36xf32>
  return
}
