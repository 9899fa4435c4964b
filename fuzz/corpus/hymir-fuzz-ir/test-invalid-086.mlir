func.func @rotary_c2_rank(%x: tensor<2x12xf32>, %a: tensor<3xf32>) {
  %r = hymir.rotary %x, %a : tensor<2x12xf32>, tensor<3xf32>
  return
}
