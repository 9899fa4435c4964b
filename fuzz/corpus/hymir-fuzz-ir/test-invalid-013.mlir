func.func @attention_c6_score_mod_yield(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32> score_mod {
  ^bb0(%s: f32, %i: index, %j: index, %h: index):
    hymir.yield %s, %s : f32, f32
  }
  return
}
