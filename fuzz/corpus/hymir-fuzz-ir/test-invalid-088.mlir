func.func @rotary_c2_too_many_angles(%x: tensor<12xf32>, %a: tensor<7xf32>) {
  %r = hymir.rotary %x, %a : tensor<12xf32>, tensor<7xf32>
  return
}
