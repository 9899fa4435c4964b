func.func @attention_decode_c2_result(%q: tensor<?x4x12xf32>, %kc: tensor<?x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  %o = hymir.attention_decode %q, %kc, %vc : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x2x20xf32>
  return
}
