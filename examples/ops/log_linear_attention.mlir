// log_linear_attention — log-linear attention of simple GLA: a Fenwick array of L = 10 states.
// OPS.md §16; EXAMPLES.md §4.21.
//
//   H = 2, K = 12, V = 20, L = 10 levels (enough for T ≤ 512); no q scaling; g_t ≤ 0 scalar
//   log-decay, λ_t [10] level weights of the query token. Positions are absolute from t = 0;
//   there is no initial state. Level of key s for query t: ℓ(t, t) = 0, ℓ(t, s) =
//   bit_length(t XOR s) for s < t.
//
//     o_t         = Σ_{s ≤ t} λ_t[ℓ(t, s)] · exp(Σ_{r=s+1}^{t} g_r) · (q_t · k_s) · v_s
//     S_levels[ℓ] = Σ_{s ≤ T−1, ℓ(T−1, s) = ℓ} exp(Σ_{r=s+1}^{T−1} g_r) · k_s ⊗ v_s
//
//   Recurrent (Fenwick) form, per head, with S [10, 12, 20] (level, key, value), going from
//   t − 1 to t: let j = number of trailing 1-bits of t − 1;
//     S[j+1] += Σ_{ℓ ≤ j} S[ℓ];  S[0 … j] = 0      (one level-mixing matrix M(t): S := M(t) S)
//     S := exp(g_t) S;   S[0] = k_t ⊗ v_t;   o_t = Σ_ℓ λ_t[ℓ] S[ℓ]ᵀ q_t
//
// Mapping: `hymir.scan heads = 2` whose body takes the time step t as its leading `index`
// argument. The state is tensor<10x12x20xf32> per head, zero-initialised here (tensor.empty +
// linalg.fill). M(t) is built with arith on iota constants (j = cttz(~(t − 1))); the merge is
// `hymir.mix %M, %S`, the decay `hymir.scale`, the new level-0 state a `tensor.insert_slice`
// of `hymir.outer`, and the λ-weighted read a 1×10 `hymir.mix` followed by `hymir.read`.
// Classified `scalar` (T1) with levels = 10.

func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>,
                %g: tensor<?x?x2xf32>, %lam: tensor<?x?x2x10xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x10x12x20xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %q, %c0 : tensor<?x?x2x12xf32>
  %empty = tensor.empty(%B) : tensor<?x2x10x12x20xf32>
  %S0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x2x10x12x20xf32>)
      -> tensor<?x2x10x12x20xf32>
  %o, %S_levels = hymir.scan heads = 2
      ins(%q, %k, %v, %g, %lam : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
          tensor<?x?x2x20xf32>, tensor<?x?x2xf32>, tensor<?x?x2x10xf32>)
      inits(%S0 : tensor<?x2x10x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%t: index, %q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %g_t: f32,
       %lam_t: tensor<10xf32>, %S: tensor<10x12x20xf32>):
    // Row index a and column index l of a 10×10 matrix.
    %row = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                                 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                                 [2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
                                 [3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
                                 [4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
                                 [5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
                                 [6, 6, 6, 6, 6, 6, 6, 6, 6, 6],
                                 [7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
                                 [8, 8, 8, 8, 8, 8, 8, 8, 8, 8],
                                 [9, 9, 9, 9, 9, 9, 9, 9, 9, 9]]> : tensor<10x10xi64>
    %col = arith.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]> : tensor<10x10xi64>
    %ones = arith.constant dense<1.0> : tensor<10x10xf32>
    %zeros = arith.constant dense<0.0> : tensor<10x10xf32>
    %c1_i64 = arith.constant 1 : i64
    %all_ones = arith.constant -1 : i64
    // j = trailing 1-bits of t − 1 = cttz(~(t − 1)); the merge target is level j + 1.
    // (At t = 0, ~(−1) = 0 and j = 64: M = 0, which keeps the zero initial state.)
    %t_i64 = arith.index_cast %t : index to i64
    %t_prev = arith.subi %t_i64, %c1_i64 : i64
    %t_prev_not = arith.xori %t_prev, %all_ones : i64
    %j = math.cttz %t_prev_not : i64
    %target = arith.addi %j, %c1_i64 : i64
    %target_m = tensor.splat %target : tensor<10x10xi64>
    // M[a, l] = 1  if a = j + 1 and l ≤ j + 1   (S[j+1] += Σ_{ℓ≤j} S[ℓ])
    //         = 1  if a > j + 1 and l = a        (higher levels unchanged)
    //         = 0  otherwise                     (levels 0 … j emptied)
    %is_target = arith.cmpi eq, %row, %target_m : tensor<10x10xi64>
    %l_le = arith.cmpi sle, %col, %target_m : tensor<10x10xi64>
    %merge = arith.andi %is_target, %l_le : tensor<10x10xi1>
    %above = arith.cmpi sgt, %row, %target_m : tensor<10x10xi64>
    %diag = arith.cmpi eq, %row, %col : tensor<10x10xi64>
    %keep = arith.andi %above, %diag : tensor<10x10xi1>
    %nonzero = arith.ori %merge, %keep : tensor<10x10xi1>
    %M = arith.select %nonzero, %ones, %zeros : tensor<10x10xi1>, tensor<10x10xf32>
    // S := exp(g_t) · M(t) S
    %S_merged = hymir.mix %M, %S : tensor<10x10xf32>, tensor<10x12x20xf32> -> tensor<10x12x20xf32>
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S_merged, %alpha : tensor<10x12x20xf32>, f32
    // S[0] = k_t ⊗ v_t
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = tensor.insert_slice %kv into %S_decayed[0, 0, 0] [1, 12, 20] [1, 1, 1]
        : tensor<12x20xf32> into tensor<10x12x20xf32>
    // o_t = (Σ_ℓ λ_t[ℓ] S[ℓ])ᵀ q_t
    %lam_row = tensor.expand_shape %lam_t [[0, 1]] output_shape [1, 10]
        : tensor<10xf32> into tensor<1x10xf32>
    %S_lam = hymir.mix %lam_row, %S_new
        : tensor<1x10xf32>, tensor<10x12x20xf32> -> tensor<1x12x20xf32>
    %S_w = tensor.extract_slice %S_lam[0, 0, 0] [1, 12, 20] [1, 1, 1]
        : tensor<1x12x20xf32> to tensor<12x20xf32>
    %o_t = hymir.read %S_w, %q_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<10x12x20xf32>
  }
  return %o, %S_levels : tensor<?x?x2x20xf32>, tensor<?x2x10x12x20xf32>
}
