func.func @rms_norm_c1_result_type(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  %y = "hymir.rms_norm"(%x, %w) {eps = 1.0e-06 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}
