// rwkv7 — RWKV-7 (Goose) generalized delta rule: diagonal + rank-1 (DPLR) transition.
// OPS.md §12; EXAMPLES.md §4.17.
//
//   H = 2, K = 12, V = 20, scale 1 (r is not scaled). Kernel-level form (fla chunk_rwkv7): all
//   six sequences r, w (log-decay ≤ 0), k, v, a, b are given; nothing is activated inside.
//
//     S_t = (diag(exp(w_t)) + b_t a_tᵀ) S_{t−1} + k_t ⊗ v_t
//         = diag(exp(w_t)) S_{t−1} + b_t ⊗ (S_{t−1}ᵀ a_t) + k_t ⊗ v_t   (a reads the UN-decayed S)
//     o_t = S_tᵀ r_t
//
// Mapping: `hymir.scan heads = 2`; per-key decay `hymir.scale … along rows`, the rank-1
// correction `hymir.outer %b, (hymir.read %S, %a)`. Classified `dplr` (T3), decay = rows.

func.func @main(%r: tensor<?x?x2x12xf32>, %w: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>,
                %v: tensor<?x?x2x20xf32>, %a: tensor<?x?x2x12xf32>, %b: tensor<?x?x2x12xf32>,
                %S0: tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%r, %w, %k, %v, %a, %b : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
          tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>)
      inits(%S0 : tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%r_t: tensor<12xf32>, %w_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>,
       %a_t: tensor<12xf32>, %b_t: tensor<12xf32>, %S: tensor<12x20xf32>):
    // diag(exp(w_t)) S_{t−1}
    %alpha = math.exp %w_t : tensor<12xf32>
    %S_decayed = hymir.scale %S, %alpha along rows : tensor<12x20xf32>, tensor<12xf32>
    // b_t ⊗ (S_{t−1}ᵀ a_t): the rank-1 correction reads the un-decayed state
    %Sa = hymir.read %S, %a_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %corr = hymir.outer %b_t, %Sa : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    // + k_t ⊗ v_t
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_mid = arith.addf %S_decayed, %corr : tensor<12x20xf32>
    %S_new = arith.addf %S_mid, %kv : tensor<12x20xf32>
    // o_t = S_tᵀ r_t
    %o_t = hymir.read %S_new, %r_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>
}
