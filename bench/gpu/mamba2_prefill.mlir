// Issue #5's Mamba-2 SSD bench shape: H = 32 heads, P = 64 head dim, N = 128 state
// size, one B/C group; the body of examples/ops/mamba2_ssd.mlir. Peer: mamba_ssm's
// mamba_chunk_scan_combined (bench/gpu/cases.py).

func.func @main(%x: tensor<?x?x32x64xf32>, %dt: tensor<?x?x32xf32>, %A_log: tensor<32xf32>,
                %B_ssm: tensor<?x?x1x128xf32>, %C_ssm: tensor<?x?x1x128xf32>,
                %D_skip: tensor<32xf32>, %dt_bias: tensor<32xf32>,
                %S0: tensor<?x32x128x64xf32>)
    -> (tensor<?x?x32x64xf32>, tensor<?x32x128x64xf32>) {
  // A = −exp(A_log)
  %A_exp = math.exp %A_log : tensor<32xf32>
  %A = arith.negf %A_exp : tensor<32xf32>
  %y, %S_T = hymir.scan heads = 32
      ins(%x, %dt, %B_ssm, %C_ssm : tensor<?x?x32x64xf32>, tensor<?x?x32xf32>,
          tensor<?x?x1x128xf32>, tensor<?x?x1x128xf32>)
      params(%A, %D_skip, %dt_bias : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
      inits(%S0 : tensor<?x32x128x64xf32>) -> (tensor<?x?x32x64xf32>) {
  ^bb0(%x_t: tensor<64xf32>, %dt_t: f32, %B_t: tensor<128xf32>, %C_t: tensor<128xf32>, %A_h: f32,
       %D_h: f32, %dt_bias_h: f32, %S: tensor<128x64xf32>):
    %zero = arith.constant 0.0 : f32
    // Δ_t = softplus(dt_t + dt_bias_h),  softplus(v) = max(v, 0) + log1p(exp(−|v|))
    %v = arith.addf %dt_t, %dt_bias_h : f32
    %v_abs = math.absf %v : f32
    %v_nabs = arith.negf %v_abs : f32
    %v_exp = math.exp %v_nabs : f32
    %v_log1p = math.log1p %v_exp : f32
    %v_pos = arith.maximumf %v, %zero : f32
    %delta = arith.addf %v_pos, %v_log1p : f32
    // S_t = exp(Δ_t A_h) S_{t−1} + B_t ⊗ (Δ_t x_t)
    %dA = arith.mulf %delta, %A_h : f32
    %alpha = math.exp %dA : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<128x64xf32>, f32
    %x_dt = hymir.scale %x_t, %delta : tensor<64xf32>, f32
    %Bx = hymir.outer %B_t, %x_dt : tensor<128xf32>, tensor<64xf32> -> tensor<128x64xf32>
    %S_new = arith.addf %S_decayed, %Bx : tensor<128x64xf32>
    // y_t = S_tᵀ C_t + D_h x_t
    %SC = hymir.read %S_new, %C_t : tensor<128x64xf32>, tensor<128xf32> -> tensor<64xf32>
    %Dx = hymir.scale %x_t, %D_h : tensor<64xf32>, f32
    %y_t = arith.addf %SC, %Dx : tensor<64xf32>
    hymir.yield %y_t, %S_new : tensor<64xf32>, tensor<128x64xf32>
  }
  return %y, %S_T : tensor<?x?x32x64xf32>, tensor<?x32x128x64xf32>
}
