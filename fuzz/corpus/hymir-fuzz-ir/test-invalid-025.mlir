func.func @causal_conv1d_c1_width(%x: tensor<?x?x36xf32>, %w: tensor<36x?xf32>) {
  %y = hymir.causal_conv1d %x, %w : tensor<?x?x36xf32>, tensor<36x?xf32> -> tensor<?x?x36xf32>
  return
}
