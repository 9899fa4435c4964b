// ttt_linear — TTT-Linear: a linear inner model trained by mini-batch gradient descent.
// OPS.md §17; EXAMPLES.md §4.22.
//
//   H = 2, D = 20 (K = V = D), mini-batch M = 16, LN eps = 1e-6, no q scaling.
//   Inner model f(x; W, c) = x + ln_w ⊙ LN(x W + c) + ln_b, W key-major [in, out] (x W = Wᵀx).
//   Per-token loss ℓ_s(W, c) = ½ ‖ln_w ⊙ LN(k_s W + c) + ln_b − (v_s − k_s)‖².
//   Tokens are cut into mini-batches [0, 16), [16, 32), …, the last one possibly shorter.
//   Within a mini-batch that starts with weights (W, c), every gradient is taken at (W, c):
//
//     Z_s = k_s W + c,   Ẑ_s = LN(Z_s),   σ_s = sqrt(var(Z_s) + 1e-6)
//     e_s = ln_w ⊙ Ẑ_s + ln_b − (v_s − k_s),   g_s = ln_w ⊙ e_s
//     G_s = (g_s − mean(g_s) − Ẑ_s · mean(g_s ⊙ Ẑ_s)) / σ_s                (= ∂ℓ_s/∂Z_s)
//     W_t = W − Σ_{s ≤ t in the mini-batch} η_s k_s ⊗ G_s,   c_t = c − Σ_{s ≤ t} η_s G_s
//     o_t = q_t + ln_w ⊙ LN(q_t W_t + c_t) + ln_b
//
//   and the next mini-batch starts from (W_t, c_t) of the last token. Results: o, W_T, b_T.
//
// Mapping: `hymir.recurrence heads = 2`, written per token with the time step t as the
// leading `index` block argument and four states (W_start, c_start, W, c): the weights at
// the start of the current mini-batch and the running weights. At t mod 16 = 0 the running
// weights become the new start weights; the gradient G_t is taken at (W_start, c_start) and
// applied to (W, c). This is exactly the mini-batch semantics above (gradients at the
// mini-batch start, a partial last mini-batch, splits at multiples of 16). W0 and b0 seed
// both pairs; only the running pair is returned.

func.func @main(%q: tensor<?x?x2x20xf32>, %k: tensor<?x?x2x20xf32>, %v: tensor<?x?x2x20xf32>,
                %eta: tensor<?x?x2xf32>, %ln_w: tensor<2x20xf32>, %ln_b: tensor<2x20xf32>,
                %W0: tensor<?x2x20x20xf32>, %b0: tensor<?x2x20xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x20x20xf32>, tensor<?x2x20xf32>) {
  %o, %W_start_T, %c_start_T, %W_T, %b_T = hymir.recurrence heads = 2
      ins(%q, %k, %v, %eta : tensor<?x?x2x20xf32>, tensor<?x?x2x20xf32>, tensor<?x?x2x20xf32>,
          tensor<?x?x2xf32>)
      params(%ln_w, %ln_b : tensor<2x20xf32>, tensor<2x20xf32>)
      inits(%W0, %b0, %W0, %b0
          : tensor<?x2x20x20xf32>, tensor<?x2x20xf32>, tensor<?x2x20x20xf32>, tensor<?x2x20xf32>)
      -> (tensor<?x?x2x20xf32>) {
  ^bb0(%t: index, %q_t: tensor<20xf32>, %k_t: tensor<20xf32>, %v_t: tensor<20xf32>, %eta_t: f32,
       %lw: tensor<20xf32>, %lb: tensor<20xf32>, %W_start: tensor<20x20xf32>,
       %c_start: tensor<20xf32>, %W: tensor<20x20xf32>, %c: tensor<20xf32>):
    %c0_i64 = arith.constant 0 : i64
    %c15_i64 = arith.constant 15 : i64
    %dim = arith.constant 20.0 : f32
    %eps = arith.constant 1.0e-06 : f32
    // A new mini-batch starts at t mod 16 = 0: (W_start, c_start) := (W, c).
    %t_i64 = arith.index_cast %t : index to i64
    %t_mod = arith.andi %t_i64, %c15_i64 : i64
    %first = arith.cmpi eq, %t_mod, %c0_i64 : i64
    %Ws = arith.select %first, %W, %W_start : tensor<20x20xf32>
    %cs = arith.select %first, %c, %c_start : tensor<20xf32>
    // Z = k_t W_s + c_s,  Ẑ = LN(Z),  σ = sqrt(var(Z) + eps)
    %kW = hymir.read %Ws, %k_t : tensor<20x20xf32>, tensor<20xf32> -> tensor<20xf32>
    %Z = arith.addf %kW, %cs : tensor<20xf32>
    %Z_hat = hymir.layer_norm %Z {eps = 1.0e-06 : f32} : tensor<20xf32>
    %Z_sum = hymir.sum %Z : tensor<20xf32> -> f32
    %Z_mean = arith.divf %Z_sum, %dim : f32
    %Z_mean_v = tensor.splat %Z_mean : tensor<20xf32>
    %Z_c = arith.subf %Z, %Z_mean_v : tensor<20xf32>
    %Z_ss = hymir.dot %Z_c, %Z_c : tensor<20xf32>, tensor<20xf32> -> f32
    %Z_var = arith.divf %Z_ss, %dim : f32
    %Z_var_eps = arith.addf %Z_var, %eps : f32
    %sigma = math.sqrt %Z_var_eps : f32
    // e = ln_w ⊙ Ẑ + ln_b − (v_t − k_t),  g = ln_w ⊙ e
    %lwZ = arith.mulf %lw, %Z_hat : tensor<20xf32>
    %pred = arith.addf %lwZ, %lb : tensor<20xf32>
    %target = arith.subf %v_t, %k_t : tensor<20xf32>
    %e = arith.subf %pred, %target : tensor<20xf32>
    %g = arith.mulf %lw, %e : tensor<20xf32>
    // G = (g − mean(g) − Ẑ · mean(g ⊙ Ẑ)) / σ
    %g_sum = hymir.sum %g : tensor<20xf32> -> f32
    %g_mean = arith.divf %g_sum, %dim : f32
    %gZ = arith.mulf %g, %Z_hat : tensor<20xf32>
    %gZ_sum = hymir.sum %gZ : tensor<20xf32> -> f32
    %gZ_mean = arith.divf %gZ_sum, %dim : f32
    %g_mean_v = tensor.splat %g_mean : tensor<20xf32>
    %G0 = arith.subf %g, %g_mean_v : tensor<20xf32>
    %Z_proj = hymir.scale %Z_hat, %gZ_mean : tensor<20xf32>, f32
    %G1 = arith.subf %G0, %Z_proj : tensor<20xf32>
    %sigma_v = tensor.splat %sigma : tensor<20xf32>
    %G = arith.divf %G1, %sigma_v : tensor<20xf32>
    // W_t = W − k_t ⊗ (η_t G),  c_t = c − η_t G
    %eta_G = hymir.scale %G, %eta_t : tensor<20xf32>, f32
    %kG = hymir.outer %k_t, %eta_G : tensor<20xf32>, tensor<20xf32> -> tensor<20x20xf32>
    %W_new = arith.subf %W, %kG : tensor<20x20xf32>
    %c_new = arith.subf %c, %eta_G : tensor<20xf32>
    // o_t = q_t + ln_w ⊙ LN(q_t W_t + c_t) + ln_b
    %qW = hymir.read %W_new, %q_t : tensor<20x20xf32>, tensor<20xf32> -> tensor<20xf32>
    %Y = arith.addf %qW, %c_new : tensor<20xf32>
    %Y_hat = hymir.layer_norm %Y {eps = 1.0e-06 : f32} : tensor<20xf32>
    %lwY = arith.mulf %lw, %Y_hat : tensor<20xf32>
    %o_res = arith.addf %q_t, %lwY : tensor<20xf32>
    %o_t = arith.addf %o_res, %lb : tensor<20xf32>
    hymir.yield %o_t, %Ws, %cs, %W_new, %c_new
        : tensor<20xf32>, tensor<20x20xf32>, tensor<20xf32>, tensor<20x20xf32>, tensor<20xf32>
  }
  return %o, %W_T, %b_T : tensor<?x?x2x20xf32>, tensor<?x2x20x20xf32>, tensor<?x2x20xf32>
}
