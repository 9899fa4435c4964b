func.func @main(%x: tensor<?x?x36xf32>, %weight: tensor<36x4xf32>, %bias: tensor<36xf32>,
                %conv_state: tensor<?x3x36xf32>) -> (tensor<?x?x36xf32>, tensor<?x3x36xf32>) {
  %y, %state_out = hymir.causal_conv1d %x, %weight bias(%bias) state(%conv_state)
      {activation = #hymir.activation<silu>}
      : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<36xf32>, tensor<?x3x36xf32>
      -> tensor<?x?x36xf32>, tensor<?x3x36xf32>
  return %y, %state_out : tensor<?x?x36xf32>, tensor<?x3x36xf32>
}
