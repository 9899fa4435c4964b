func.func @rms_norm_c3_eps(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) {
  %y = hymir.rms_norm %x, %w {eps = -0.5 : f32} : tensor<?x?x64xf32>, tensor<64xf32>
  return
}
