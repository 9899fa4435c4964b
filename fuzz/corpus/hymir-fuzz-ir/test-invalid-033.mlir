func.func @l2_norm_c1_rank(%x: tensor<f32>) {
  %y = hymir.l2_norm %x : tensor<f32>
  return
}
