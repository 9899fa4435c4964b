// attention_decode — one new query per sequence against a KV cache (decode step of §4.1).
// OPS.md §1 (decode); EXAMPLES.md §4.3.
//
//   Hq = 4, Hkv = 2 (query head h reads kv head h // 2), K = 12, V = 20, cache length L dynamic.
//   The new token's key/value are already appended at index L − 1 and the query sits at
//   position L − 1, so causality admits all L cached keys:
//
//     o[h] = Σ_{j < L} softmax_j(scale · ⟨q[h], k_cache_j[h // 2]⟩) · v_cache_j[h // 2],
//     scale = 1/√12
//
//   This equals row L − 1 of attention_causal on the full sequence.
//
// Mapping: a single `hymir.attention_decode` without `lengths` (all L keys valid for every
// sequence), scale explicit (1/√12 rounded to f32).

func.func @main(%q: tensor<?x4x12xf32>, %k_cache: tensor<?x?x2x12xf32>,
                %v_cache: tensor<?x?x2x20xf32>) -> (tensor<?x4x20xf32>) {
  %o = hymir.attention_decode %q, %k_cache, %v_cache {scale = 0.288675129 : f32}
      : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x4x20xf32>
  return %o : tensor<?x4x20xf32>
}
