func.func @causal_conv1d_c1_weight(%x: tensor<?x?x36xf32>, %w: tensor<4x36xf32>) {
  %y = hymir.causal_conv1d %x, %w : tensor<?x?x36xf32>, tensor<4x36xf32> -> tensor<?x?x36xf32>
  return
}
