func.func @attention_decode_c3_lengths(%q: tensor<2x4x12xf32>, %kc: tensor<2x?x2x12xf32>, %vc: tensor<2x?x2x20xf32>, %l: tensor<3xi32>) {
  %o = hymir.attention_decode %q, %kc, %vc lengths(%l : tensor<3xi32>) : tensor<2x4x12xf32>, tensor<2x?x2x12xf32>, tensor<2x?x2x20xf32> -> tensor<2x4x20xf32>
  return
}
