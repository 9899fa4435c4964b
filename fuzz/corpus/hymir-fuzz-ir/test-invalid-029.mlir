func.func @causal_conv1d_c3_final_type(%x: tensor<2x?x36xf32>, %w: tensor<36x4xf32>, %s: tensor<2x3x36xf32>) {
  %y, %sf = hymir.causal_conv1d %x, %w state(%s) : tensor<2x?x36xf32>, tensor<36x4xf32>, tensor<2x3x36xf32> -> tensor<2x?x36xf32>, tensor<?x3x36xf32>
  return
}
