func.func @rotary_c2_leading_dims(%x: tensor<2x12xf32>, %a: tensor<5x3xf32>) {
  %r = hymir.rotary %x, %a : tensor<2x12xf32>, tensor<5x3xf32>
  return
}
