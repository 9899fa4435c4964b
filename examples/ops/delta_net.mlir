// delta_net — DeltaNet: the delta rule on pre-activated inputs.
// OPS.md §9; EXAMPLES.md §4.13.
//
//   H = 2, K = 12, V = 20, scale = 1/√12. No activation inside: the caller supplies unit-norm
//   q, k (per head vector) and β ∈ (0, 1); they are used as given.
//
//     u_t = β_t (v_t − S_{t−1}ᵀ k_t)
//     S_t = S_{t−1} + k_t ⊗ u_t          (= (I − β_t k_t k_tᵀ) S_{t−1} + β_t k_t ⊗ v_t)
//     o_t = S_tᵀ (scale · q_t)
//
// Mapping: `hymir.scan heads = 2`; the correction reads the state (`hymir.read %S, %k`) and is
// written back with `hymir.outer`. Classified `dplr` (T3: identity + rank-1), decay = none.

func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>,
                %beta: tensor<?x?x2xf32>, %S0: tensor<?x2x12x20xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v, %beta : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>,
          tensor<?x?x2xf32>)
      inits(%S0 : tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %beta_t: f32,
       %S: tensor<12x20xf32>):
    %scale = arith.constant 0.288675129 : f32
    // u_t = β_t (v_t − S_{t−1}ᵀ k_t)
    %pred = hymir.read %S, %k_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %err = arith.subf %v_t, %pred : tensor<20xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<20xf32>, f32
    // S_t = S_{t−1} + k_t ⊗ u_t
    %ku = hymir.outer %k_t, %u_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S, %ku : tensor<12x20xf32>
    // o_t = S_tᵀ (scale · q_t)
    %q_s = hymir.scale %q_t, %scale : tensor<12xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>
}
