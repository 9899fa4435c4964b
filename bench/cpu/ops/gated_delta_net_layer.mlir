// gated_delta_net.mlir's math written the way a layer computes it: the q/k L2 norms, the
// softplus decay and sigmoid β as whole-tensor ops before the scan, whose body takes them
// ready-made. hymir-fuse-into-mixers (the pipeline's `fusion`, on by default) pulls all of
// them into the step; `hymir-bench --ops=gated_delta_net_layer --unfused-too` times both.

#id3 = affine_map<(b, t, h) -> (b, t, h)>
#hd3 = affine_map<(b, t, h) -> (h)>

func.func @main(%q: tensor<?x?x16x128xf32>, %k: tensor<?x?x16x128xf32>, %v: tensor<?x?x16x128xf32>,
                %a: tensor<?x?x16xf32>, %b: tensor<?x?x16xf32>, %A_log: tensor<16xf32>,
                %dt_bias: tensor<16xf32>, %S0: tensor<?x16x128x128xf32>)
    -> (tensor<?x?x16x128xf32>, tensor<?x16x128x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %a, %c0 : tensor<?x?x16xf32>
  %T = tensor.dim %a, %c1 : tensor<?x?x16xf32>
  %A_exp = math.exp %A_log : tensor<16xf32>
  %A = arith.negf %A_exp : tensor<16xf32>
  %q_n = hymir.l2_norm %q {eps = 1.0e-06 : f32} : tensor<?x?x16x128xf32>
  %k_n = hymir.l2_norm %k {eps = 1.0e-06 : f32} : tensor<?x?x16x128xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x16xf32>
  // g = A · softplus(a + dt_bias), softplus(x) = max(x, 0) + log1p(exp(−|x|))
  %g = linalg.generic {indexing_maps = [#id3, #hd3, #hd3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a, %A, %dt_bias : tensor<?x?x16xf32>, tensor<16xf32>, tensor<16xf32>)
      outs(%e : tensor<?x?x16xf32>) {
  ^bb0(%x: f32, %A_h: f32, %bias: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %s = arith.addf %x, %bias : f32
    %s_abs = math.absf %s : f32
    %s_nabs = arith.negf %s_abs : f32
    %s_exp = math.exp %s_nabs : f32
    %s_log1p = math.log1p %s_exp : f32
    %s_pos = arith.maximumf %s, %zero : f32
    %softplus = arith.addf %s_pos, %s_log1p : f32
    %g_x = arith.mulf %A_h, %softplus : f32
    linalg.yield %g_x : f32
  } -> tensor<?x?x16xf32>
  // β = sigmoid(b) = 1 / (1 + exp(−b))
  %beta = linalg.generic {indexing_maps = [#id3, #id3],
                          iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b : tensor<?x?x16xf32>) outs(%e : tensor<?x?x16xf32>) {
  ^bb0(%x: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %x : f32
    %ex = math.exp %n : f32
    %den = arith.addf %one, %ex : f32
    %r = arith.divf %one, %den : f32
    linalg.yield %r : f32
  } -> tensor<?x?x16xf32>
  %o, %S_T = hymir.scan heads = 16
      ins(%q_n, %k_n, %v, %g, %beta : tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>,
          tensor<?x?x16x128xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>)
      inits(%S0 : tensor<?x16x128x128xf32>) -> (tensor<?x?x16x128xf32>) {
  ^bb0(%q_t: tensor<128xf32>, %k_t: tensor<128xf32>, %v_t: tensor<128xf32>, %g_t: f32,
       %beta_t: f32, %S: tensor<128x128xf32>):
    %scale = arith.constant 0.088388348 : f32
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<128x128xf32>, f32
    %pred = hymir.read %S_decayed, %k_t : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    %err = arith.subf %v_t, %pred : tensor<128xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<128xf32>, f32
    %ku = hymir.outer %k_t, %u_t : tensor<128xf32>, tensor<128xf32> -> tensor<128x128xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<128x128xf32>
    %q_s = hymir.scale %q_t, %scale : tensor<128xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<128x128xf32>, tensor<128xf32> -> tensor<128xf32>
    hymir.yield %o_t, %S_new : tensor<128xf32>, tensor<128x128xf32>
  }
  return %o, %S_T : tensor<?x?x16x128xf32>, tensor<?x16x128x128xf32>
}
