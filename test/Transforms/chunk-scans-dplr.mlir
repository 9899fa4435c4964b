// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 remarks=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 remarks=true vector-rows=false" -split-input-file 2>&1 | FileCheck %s --check-prefix=GPU

// hymir-chunk-scans on the general diagonal-plus-low-rank transition
// (RWKV-7): S_t = diag(exp(w)) S + b ⊗ (Sᵀ a) + k ⊗ v. Which bodies take the
// chunked form, what it builds, and why the others keep the sequential
// fallback. Without vector rows (the CUDA pipeline) it keeps the fallback.
// GPU: remark: sequential fallback: the per-key-decay chunked forms (delta rule, diagonal plus low rank) are built for the CPU (vector rows) only
// GPU: remark: sequential fallback: the per-key-decay chunked forms (delta rule, diagonal plus low rank) are built for the CPU (vector rows) only
// GPU: remark: sequential fallback: class 'rank_n' has no chunked form yet
// GPU-COUNT-3: remark: sequential fallback: the per-key-decay chunked forms (delta rule, diagonal plus low rank) are built for the CPU (vector rows) only

// RWKV-7: the correction reads S_{t−1}; chunk-size = 16 runs as chunks of
// 8 (the form's cap). The prepare loop builds six row blocks (r, k, v, w,
// a, b); the scores come from two generics with two outputs each (A_ak and
// A_ab from the rows of a; A_rk and A_rb from those of r); the corrections
// U solve (I − A_ab) U = A_ak V + (A ∘ e^{G − g}) S by forward substitution
// on −A_ab; U enters the output through A_rb and the state through
// (B ∘ e^{G_last − G})ᵀ U.
// CHECK-LABEL: func.func @rwkv7
// CHECK-NOT:   hymir.scan
// CHECK:       scf.forall
// CHECK:         scf.for {{.+}} -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x6xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>)
// The running log-decay G and the exclusive G − g (#2) that the
// corrections' exponents use; the output's use G on both sides.
// CHECK:         %[[G:.+]]:3 = scf.for {{.+}} -> (vector<4xf32>, tensor<8x4xf32>, tensor<8x4xf32>)
// CHECK:         %[[CORR:.+]]:2 = linalg.generic {{.+}} ins(%{{[^,]+}}, %[[G]]#2, %[[G]]#1, %{{[^,]+}}, %{{[^,]+}} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x8xf32>, tensor<8x8xf32>)
// CHECK:         %[[OUTS:.+]]:2 = linalg.generic {{.+}} ins(%{{[^,]+}}, %[[G]]#1, %[[G]]#1, %{{[^,]+}}, %{{[^,]+}} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x8xf32>, tensor<8x8xf32>)
// CHECK:         linalg.generic {{.+}} ins(%[[CORR]]#1 : tensor<8x8xf32>)
// CHECK:           arith.negf
// CHECK:         scf.for {{.+}} -> (tensor<8x8xf32>)
// CHECK:         %[[AKV:.+]] = linalg.generic {{.+}} ins(%[[CORR]]#0, %{{.+}} : tensor<8x8xf32>, tensor<8x6xf32>) outs({{.+}} : tensor<8x6xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:         %[[U0:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %[[AKV]] : tensor<8x8xf32>, tensor<8x6xf32>) outs({{.+}} : tensor<8x6xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:         %[[W:.+]] = linalg.generic {{.+}} ins({{.+}} : tensor<8x8xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x4xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:         %[[U:.+]] = linalg.generic {{.+}} ins(%[[W]], %{{.+}} : tensor<8x4xf32>, tensor<4x6xf32>) outs(%[[U0]] : tensor<8x6xf32>) attrs = {hymir.chunk_matmul}
// CHECK:         linalg.generic {{.+}} ins(%[[OUTS]]#0, %{{.+}} : tensor<8x8xf32>, tensor<8x6xf32>) outs({{.+}} : tensor<8x6xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:         linalg.generic {{.+}} ins(%[[OUTS]]#1, %[[U]] : tensor<8x8xf32>, tensor<8x6xf32>) outs({{.+}} : tensor<8x6xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:         linalg.generic {{.+}} ins(%{{.+}}, %[[U]] : tensor<8x4xf32>, tensor<8x6xf32>) outs({{.+}} : tensor<4x6xf32>) attrs = {hymir.chunk_matmul}
func.func @rwkv7(%r: tensor<?x?x2x4xf32>, %w: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>,
                 %v: tensor<?x?x2x6xf32>, %a: tensor<?x?x2x4xf32>, %b: tensor<?x?x2x4xf32>,
                 %S0: tensor<?x2x4x6xf32>) -> (tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>) {
  // expected-remark @+1 {{chunked (diagonal plus low rank, C = 8): per-key decay, rank-1 correction reading the previous state, read}}
  %o, %S = hymir.scan heads = 2
      ins(%r, %w, %k, %v, %a, %b : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>,
          tensor<?x?x2x6xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>)
      inits(%S0 : tensor<?x2x4x6xf32>) -> (tensor<?x?x2x6xf32>) {
  ^bb0(%r_t: tensor<4xf32>, %w_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>,
       %a_t: tensor<4xf32>, %b_t: tensor<4xf32>, %s: tensor<4x6xf32>):
    %alpha = math.exp %w_t : tensor<4xf32>
    %sd = hymir.scale %s, %alpha along rows : tensor<4x6xf32>, tensor<4xf32>
    %sa = hymir.read %s, %a_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %corr = hymir.outer %b_t, %sa : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %mid = arith.addf %sd, %corr : tensor<4x6xf32>
    %sn = arith.addf %mid, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %r_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>
}

// -----

// The correction reads the decayed state, the terms summed in another
// order, and a state-independent skip on the output. No exclusive decay:
// both score generics take G on both sides.
// CHECK-LABEL: func.func @decayed_read
// CHECK-NOT:   hymir.scan
// CHECK:       scf.forall
// CHECK:         %[[G:.+]]:2 = scf.for {{.+}} -> (vector<4xf32>, tensor<8x4xf32>)
// CHECK:         linalg.generic {{.+}} ins(%{{[^,]+}}, %[[G]]#1, %[[G]]#1, %{{[^,]+}}, %{{[^,]+}} : {{.+}}) outs({{.+}} : tensor<8x8xf32>, tensor<8x8xf32>)
// CHECK:         linalg.generic {{.+}} ins(%{{[^,]+}}, %[[G]]#1, %[[G]]#1, %{{[^,]+}}, %{{[^,]+}} : {{.+}}) outs({{.+}} : tensor<8x8xf32>, tensor<8x8xf32>)
func.func @decayed_read(%r: tensor<?x?x4xf32>, %w: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>,
                        %v: tensor<?x?x6xf32>, %a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>,
                        %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{chunked (diagonal plus low rank, C = 8): per-key decay, rank-1 correction reading the decayed state, read + skip}}
  %o, %S = hymir.scan
      ins(%r, %w, %k, %v, %a, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>,
          tensor<?x?x6xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%r_t: tensor<4xf32>, %w_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>,
       %a_t: tensor<4xf32>, %b_t: tensor<4xf32>, %s: tensor<4x6xf32>):
    %alpha = math.exp %w_t : tensor<4xf32>
    %sd = hymir.scale %s, %alpha along rows : tensor<4x6xf32>, tensor<4xf32>
    %sa = hymir.read %sd, %a_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %corr = hymir.outer %b_t, %sa : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %mid = arith.addf %kv, %sd : tensor<4x6xf32>
    %sn = arith.addf %corr, %mid : tensor<4x6xf32>
    %read = hymir.read %sn, %r_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %o_t = arith.addf %v_t, %read : tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// Two corrections: hymir-normalize classifies the transition rank_n.
// CHECK-LABEL: func.func @two_corrections
// CHECK:       hymir.scan
func.func @two_corrections(%r: tensor<?x?x4xf32>, %w: tensor<?x?x4xf32>, %a: tensor<?x?x4xf32>,
                           %b: tensor<?x?x4xf32>, %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: class 'rank_n' has no chunked form yet}}
  %o, %S = hymir.scan
      ins(%r, %w, %a, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%r_t: tensor<4xf32>, %w_t: tensor<4xf32>, %a_t: tensor<4xf32>, %b_t: tensor<4xf32>, %s: tensor<4x6xf32>):
    %alpha = math.exp %w_t : tensor<4xf32>
    %sd = hymir.scale %s, %alpha along rows : tensor<4x6xf32>, tensor<4xf32>
    %sa = hymir.read %s, %a_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %c1 = hymir.outer %b_t, %sa : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sb = hymir.read %s, %b_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %c2 = hymir.outer %a_t, %sb : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %mid = arith.addf %sd, %c1 : tensor<4x6xf32>
    %sn = arith.addf %mid, %c2 : tensor<4x6xf32>
    %o_t = hymir.read %sn, %r_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// The output reads the state before the write k ⊗ v: not the updated state.
// CHECK-LABEL: func.func @reads_partial_state
// CHECK:       hymir.scan
func.func @reads_partial_state(%r: tensor<?x?x4xf32>, %w: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>,
                               %v: tensor<?x?x6xf32>, %a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>,
                               %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the output does not read the updated state}}
  %o, %S = hymir.scan
      ins(%r, %w, %k, %v, %a, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>,
          tensor<?x?x6xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%r_t: tensor<4xf32>, %w_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>,
       %a_t: tensor<4xf32>, %b_t: tensor<4xf32>, %s: tensor<4x6xf32>):
    %alpha = math.exp %w_t : tensor<4xf32>
    %sd = hymir.scale %s, %alpha along rows : tensor<4x6xf32>, tensor<4xf32>
    %sa = hymir.read %s, %a_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %corr = hymir.outer %b_t, %sa : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %mid = arith.addf %sd, %corr : tensor<4x6xf32>
    %sn = arith.addf %mid, %kv : tensor<4x6xf32>
    %o_t = hymir.read %mid, %r_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// The decay is not exp(x): its logarithm, which the chunk's running decay
// sums, may not exist.
// CHECK-LABEL: func.func @decay_not_exp
// CHECK:       hymir.scan
func.func @decay_not_exp(%r: tensor<?x?x4xf32>, %w: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>,
                         %v: tensor<?x?x6xf32>, %a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>,
                         %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the per-key decay is not exp(x) (its logarithm may not exist)}}
  %o, %S = hymir.scan
      ins(%r, %w, %k, %v, %a, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>,
          tensor<?x?x6xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%r_t: tensor<4xf32>, %w_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>,
       %a_t: tensor<4xf32>, %b_t: tensor<4xf32>, %s: tensor<4x6xf32>):
    %alpha = math.tanh %w_t : tensor<4xf32>
    %sd = hymir.scale %s, %alpha along rows : tensor<4x6xf32>, tensor<4xf32>
    %sa = hymir.read %s, %a_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %corr = hymir.outer %b_t, %sa : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %mid = arith.addf %sd, %corr : tensor<4x6xf32>
    %sn = arith.addf %mid, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %r_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// The output's query is the correction's read S_{t−1}ᵀ a (K = V): a
// recognised reader, but the chunk rows cannot hold a state-dependent query.
// CHECK-LABEL: func.func @state_query
// CHECK:       hymir.scan
func.func @state_query(%w: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x4xf32>,
                       %a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>,
                       %S0: tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x4x4xf32>) {
  // expected-remark @+1 {{sequential fallback: the output's query depends on the state}}
  %o, %S = hymir.scan
      ins(%w, %k, %v, %a, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>,
          tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%w_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<4xf32>,
       %a_t: tensor<4xf32>, %b_t: tensor<4xf32>, %s: tensor<4x4xf32>):
    %alpha = math.exp %w_t : tensor<4xf32>
    %sd = hymir.scale %s, %alpha along rows : tensor<4x4xf32>, tensor<4xf32>
    %sa = hymir.read %s, %a_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %corr = hymir.outer %b_t, %sa : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %mid = arith.addf %sd, %corr : tensor<4x4xf32>
    %sn = arith.addf %mid, %kv : tensor<4x4xf32>
    %o_t = hymir.read %sn, %sa : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %o_t, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %o, %S : tensor<?x?x4xf32>, tensor<?x4x4xf32>
}
