func.func @attention_c1_kv_heads(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x1x20xf32>) {
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x1x20xf32> -> tensor<?x?x4x20xf32>
  return
}
