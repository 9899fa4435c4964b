func.func @causal_conv1d_c2_bias(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>, %b: tensor<4xf32>) {
  %y = hymir.causal_conv1d %x, %w bias(%b) : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<4xf32> -> tensor<?x?x36xf32>
  return
}
