func.func @attention_c1_key_length(%q: tensor<?x?x4x12xf32>, %k: tensor<?x5x2x12xf32>, %v: tensor<?x6x2x20xf32>) {
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x5x2x12xf32>, tensor<?x6x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}
