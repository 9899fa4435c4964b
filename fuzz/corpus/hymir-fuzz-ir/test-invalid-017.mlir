func.func @attention_decode_c1_head_dim(%q: tensor<?x4x8xf32>, %kc: tensor<?x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  %o = hymir.attention_decode %q, %kc, %vc : tensor<?x4x8xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x4x20xf32>
  return
}
