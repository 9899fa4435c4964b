// causal_conv1d — short depthwise causal convolution + bias + SiLU, with a rolling conv state.
// OPS.md §2; EXAMPLES.md §4.4.
//
//   D = 36 channels, W = 4 taps; conv_state holds the previous W − 1 = 3 inputs, oldest first,
//   time-major [B, 3, D] (row 2 = x_{−1}).
//
//     xx             = concat_time(conv_state, x)                  (xx[t + 3] = x_t)
//     y_t[c]         = silu(bias[c] + Σ_{j=0}^{3} weight[c, j] · xx[t + j, c])
//     conv_state_out = xx[T : T + 3]                               (the last 3 inputs)
//
//   weight[c, 3] multiplies the current input x_t (PyTorch cross-correlation orientation).
//
// Mapping: a single `hymir.causal_conv1d` with bias, state in/out and the SiLU activation.

func.func @main(%x: tensor<?x?x36xf32>, %weight: tensor<36x4xf32>, %bias: tensor<36xf32>,
                %conv_state: tensor<?x3x36xf32>) -> (tensor<?x?x36xf32>, tensor<?x3x36xf32>) {
  %y, %state_out = hymir.causal_conv1d %x, %weight bias(%bias) state(%conv_state)
      {activation = #hymir.activation<silu>}
      : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<36xf32>, tensor<?x3x36xf32>
      -> tensor<?x?x36xf32>, tensor<?x3x36xf32>
  return %y, %state_out : tensor<?x?x36xf32>, tensor<?x3x36xf32>
}
