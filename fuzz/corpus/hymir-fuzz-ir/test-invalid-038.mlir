func.func @rms_norm_c2_weight(%x: tensor<?x?x64xf32>, %w: tensor<32xf32>) {
  %y = hymir.rms_norm %x, %w : tensor<?x?x64xf32>, tensor<32xf32>
  return
}
