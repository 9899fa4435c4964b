func.func @l2_norm_c1_result_type(%x: tensor<4x12xf32>) {
  %y = "hymir.l2_norm"(%x) {eps = 1.0e-06 : f32} : (tensor<4x12xf32>) -> tensor<4x12xf16>
  return
}
