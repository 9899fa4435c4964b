func.func @attention_decode_c1_batch(%q: tensor<2x4x12xf32>, %kc: tensor<3x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  %o = hymir.attention_decode %q, %kc, %vc : tensor<2x4x12xf32>, tensor<3x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<2x4x20xf32>
  return
}
