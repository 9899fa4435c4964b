func.func @l2_norm_c2_eps(%x: tensor<4x12xf32>) {
  %y = hymir.l2_norm %x {eps = -1.0 : f32} : tensor<4x12xf32>
  return
}
