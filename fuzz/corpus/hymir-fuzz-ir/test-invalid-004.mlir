func.func @attention_c1_head_dim(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x16xf32>, %v: tensor<?x?x2x20xf32>) {
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}
