func.func @attention_c4_window(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  %o = hymir.attention %q, %k, %v {causal, window = 0 : i64} : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}
