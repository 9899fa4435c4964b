func.func @attention_c2_heads(%q: tensor<?x?x3x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  %o = hymir.attention %q, %k, %v : tensor<?x?x3x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x3x20xf32>
  return
}
