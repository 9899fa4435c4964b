// attention_window — causal sliding-window attention with logit softcap, MQA.
// OPS.md §1; EXAMPLES.md §4.2.
//
//   Hq = 3 query heads, Hkv = 1 (every query head reads kv head 0), K = V = 20,
//   window w = 13, softcap c = 30.
//
//     s_ij = 30 · tanh(scale · ⟨q_i[h], k_j⟩ / 30),   scale = 1/√20   (softcap after scaling)
//     key j is allowed for query i iff i − 13 < j ≤ i                 (fla's window_size = 13;
//                                                                      FlashAttention's (12, 0))
//     o_i[h] = Σ_allowed softmax_j(s_ij) v_j                          (max-subtracted)
//
// Mapping: a single `hymir.attention {causal, window = 13, softcap = 30}` with the scale
// explicit (1/√20 rounded to f32); MQA follows from the kv head count 1.

func.func @main(%q: tensor<?x?x3x20xf32>, %k: tensor<?x?x1x20xf32>, %v: tensor<?x?x1x20xf32>)
    -> (tensor<?x?x3x20xf32>) {
  %o = hymir.attention %q, %k, %v
      {causal, scale = 0.223606795 : f32, window = 13 : i64, softcap = 30.0 : f32}
      : tensor<?x?x3x20xf32>, tensor<?x?x1x20xf32>, tensor<?x?x1x20xf32> -> tensor<?x?x3x20xf32>
  return %o : tensor<?x?x3x20xf32>
}
