// attention_causal — causal GQA softmax attention.
// OPS.md §1; EXAMPLES.md §4.1.
//
//   Hq = 4 query heads, Hkv = 2 kv heads, K = 12, V = 20; query head h reads kv head h // 2.
//
//     s_ij   = scale · ⟨q_i[h], k_j[h // 2]⟩,   scale = 1/√12,   allowed iff j ≤ i
//     o_i[h] = Σ_{j ≤ i} exp(s_ij − m_i) v_j[h // 2] / Σ_{j ≤ i} exp(s_ij − m_i),
//     m_i    = max_{j ≤ i} s_ij
//
// Mapping: a single `hymir.attention {causal}`. The GQA block mapping follows from the head
// counts of q (4) and k/v (2); the scale is explicit (1/√12 rounded to f32).

func.func @main(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>)
    -> (tensor<?x?x4x20xf32>) {
  %o = hymir.attention %q, %k, %v {causal, scale = 0.288675129 : f32}
      : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return %o : tensor<?x?x4x20xf32>
}
