func.func @layer_norm_c1_result_type(%x: tensor<20xf32>) {
  %y = "hymir.layer_norm"(%x) {eps = 1.0e-06 : f32} : (tensor<20xf32>) -> tensor<21xf32>
  return
}
