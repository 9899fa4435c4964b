func.func @causal_conv1d_c1_input_rank(%x: tensor<?x36xf32>, %w: tensor<36x4xf32>) {
  %y = hymir.causal_conv1d %x, %w : tensor<?x36xf32>, tensor<36x4xf32> -> tensor<?x36xf32>
  return
}
