func.func @main(%x: tensor<?x?x0xf32>, %w: tensor<0x4xf32>) -> tensor<?x?x0xf32> {
  %y = hymir.causal_conv1d %x, %w : tensor<?x?x0xf32>, tensor<0x4xf32> -> tensor<?x?x0xf32>
  return %y : tensor<?x?x0xf32>
}
