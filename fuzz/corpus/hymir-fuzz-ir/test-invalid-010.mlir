func.func @attention_c4_scale(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  %o = hymir.attention %q, %k, %v {scale = 0x7F800000 : f32} : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}
