func.func @main(%q: tensor<?x4x12xf32>, %k_cache: tensor<?x?x2x12xf32>,
                %v_cache: tensor<?x?x2x20xf32>) -> (tensor<?x4x20xf32>) {
  %o = hymir.attention_decode %q, %k_cache, %v_cache {scale = 0.288675129 : f32}
      : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x4x20xf32>
  return %o : tensor<?x4x20xf32>
}
