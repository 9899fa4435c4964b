func.func @attention_decode_c1_caches(%q: tensor<?x4x12xf32>, %kc: tensor<?x8x2x12xf32>, %vc: tensor<?x9x2x20xf32>) {
  %o = hymir.attention_decode %q, %kc, %vc : tensor<?x4x12xf32>, tensor<?x8x2x12xf32>, tensor<?x9x2x20xf32> -> tensor<?x4x20xf32>
  return
}
