func.func @attention_c2_dynamic_heads(%q: tensor<?x?x?x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  %o = hymir.attention %q, %k, %v : tensor<?x?x?x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x?x20xf32>
  return
}
