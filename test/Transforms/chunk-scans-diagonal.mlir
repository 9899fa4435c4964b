// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 remarks=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=64 remarks=true" -split-input-file 2>&1 | FileCheck %s --check-prefix=CAP
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 remarks=true vector-rows=false" -split-input-file 2>&1 | FileCheck %s --check-prefix=GPU

// hymir-chunk-scans on a per-key decay (the diagonal class: GLA / RWKV-6;
// with the delta rule: KDA): which bodies take the chunked form and why the
// others keep the sequential fallback. The diagonal form caps the chunk at
// 32 (CAP). Without vector rows (the CUDA pipeline) every per-key decay
// keeps the fallback (GPU).
// GPU: remark: sequential fallback: the diagonal chunked form is built for the CPU (vector rows) only
// GPU: remark: sequential fallback: the diagonal chunked form is built for the CPU (vector rows) only
// GPU: remark: sequential fallback: the per-key-decay chunked forms (delta rule, diagonal plus low rank) are built for the CPU (vector rows) only
// CAP: remark: chunked (diagonal, sub-chunks of 8, C = 32): per-key decay, rank-1 update, read
// CAP: remark: chunked (diagonal, sub-chunks of 8, C = 32): per-key decay, rank-1 update, read of the previous state + skip
// CAP: remark: chunked (diagonal UT/WY, sub-chunks of 8, C = 32): per-key decay, delta rule, read

// GLA: S_t = diag(exp(g_t)) S + k ⊗ v, o_t = S_tᵀ q_t. The log-decay rows
// are [C, K] (inserted as vector rows); the scores: two diagonal leaves of
// 8 (an exponential per term, four [8, K] operands) and their lower-left
// quadrant as a tagged product of reference-scaled rows.
// CHECK-LABEL: func.func @gla
// CHECK-NOT:   hymir.scan
// CHECK:       scf.forall
// CHECK:         vector.transfer_write %{{.+}}, %{{.+}} : vector<4xf32>, tensor<16x4xf32>
// CHECK:         linalg.generic {{.+}} ins({{.+}} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x8xf32>)
// CHECK:         linalg.generic {{.+}} ins({{.+}} : tensor<8x4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x8xf32>) attrs = {hymir.chunk_matmul}
func.func @gla(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x2x6xf32>,
               %g: tensor<?x?x2x4xf32>, %S0: tensor<?x2x4x6xf32>) -> (tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>) {
  // expected-remark @+1 {{chunked (diagonal, sub-chunks of 8, C = 16): per-key decay, rank-1 update, read}}
  %o, %S = hymir.scan heads = 2 ins(%q, %k, %v, %g : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x6xf32>, tensor<?x?x2x4xf32>)
      inits(%S0 : tensor<?x2x4x6xf32>) -> (tensor<?x?x2x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: tensor<4xf32>, %s: tensor<4x6xf32>):
    %a = math.exp %g_t : tensor<4xf32>
    %sd = hymir.scale %s, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>
}

// -----

// RWKV-6: the output reads S_{t−1}, plus a state-independent bonus.
// CHECK-LABEL: func.func @rwkv6
// CHECK-NOT:   hymir.scan
// CHECK:       scf.forall
func.func @rwkv6(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                 %w: tensor<?x?x4xf32>, %u: tensor<4xf32>, %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{chunked (diagonal, sub-chunks of 8, C = 16): per-key decay, rank-1 update, read of the previous state + skip}}
  %o, %S = hymir.scan ins(%q, %k, %v, %w : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>)
      params(%u : tensor<4xf32>) inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %w_t: tensor<4xf32>, %u_h: tensor<4xf32>, %s: tensor<4x6xf32>):
    %r = hymir.read %s, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %qu = arith.mulf %q_t, %u_h : tensor<4xf32>
    %bonus = hymir.dot %qu, %k_t : tensor<4xf32>, tensor<4xf32> -> f32
    %ob = hymir.scale %v_t, %bonus : tensor<6xf32>, f32
    %o_t = arith.addf %r, %ob : tensor<6xf32>
    %a = math.exp %w_t : tensor<4xf32>
    %sd = hymir.scale %s, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// A per-key decay that is not exp(x) (a parameter of unknown sign): no
// log-decay, so no chunked form.
// CHECK-LABEL: func.func @not_exp
// CHECK:       hymir.scan
func.func @not_exp(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                   %a: tensor<4xf32>, %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the per-key decay is not exp(x) (its logarithm may not exist)}}
  %o, %S = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      params(%a : tensor<4xf32>) inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %a_h: tensor<4xf32>, %s: tensor<4x6xf32>):
    %sd = hymir.scale %s, %a_h along rows : tensor<4x6xf32>, tensor<4xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// A per-value decay (along cols): not chunked yet.
// CHECK-LABEL: func.func @per_value
// CHECK:       hymir.scan
func.func @per_value(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                     %g: tensor<?x?x6xf32>, %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: a diagonal transition with decay 'cols' has no chunked form yet (only rows: a per-key decay)}}
  %o, %S = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x6xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: tensor<6xf32>, %s: tensor<4x6xf32>):
    %a = math.exp %g_t : tensor<6xf32>
    %sd = hymir.scale %s, %a along cols : tensor<4x6xf32>, tensor<6xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// A second read of the state next to the recognised one: it would be lost.
// CHECK-LABEL: func.func @second_read
// CHECK:       hymir.scan
func.func @second_read(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                       %g: tensor<?x?x4xf32>, %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the output is not 'Sᵀ q [+ e]' of the updated or the previous state}}
  %o, %S = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: tensor<4xf32>, %s: tensor<4x6xf32>):
    %a = math.exp %g_t : tensor<4xf32>
    %sd = hymir.scale %s, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %r = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %r2 = hymir.read %sd, %k_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %o_t = arith.addf %r, %r2 : tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// KDA: the delta rule with a per-key decay before the correction,
//   S' = diag(exp(g_t)) S,  S_t = S' + k ⊗ β (v − S'ᵀ k),  o_t = S_tᵀ q_t.
// The UT/WY transform on the diagonal scores: Q Kᵀ and K Kᵀ from one
// halving pass (each diagonal leaf one generic with both score blocks as
// outputs, one exponential per term; each lower-left quadrant two products
// sharing the reference-scaled key columns), β times K Kᵀ's rows, the
// forward substitution row by row as vector<16xf32>, then the diagonal
// scan's algebra on the pseudo-values.
// CHECK-LABEL: func.func @kda
// CHECK-NOT:   hymir.scan
// CHECK:       scf.forall
// CHECK:         linalg.generic {{.+}} ins({{.+}} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x8xf32>, tensor<8x8xf32>)
// CHECK:         linalg.generic {{.+}} ins({{.+}} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x8xf32>, tensor<8x8xf32>)
// CHECK:         %[[KREF:.+]] = linalg.generic {{.+}} ins({{.+}} : tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x4xf32>)
// CHECK:         linalg.generic {{.+}} ins(%{{.+}}, %[[KREF]] : tensor<8x4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x8xf32>) attrs = {hymir.chunk_matmul}
// CHECK:         linalg.generic {{.+}} ins(%{{.+}}, %[[KREF]] : tensor<8x4xf32>, tensor<8x4xf32>) outs({{.+}} : tensor<8x8xf32>) attrs = {hymir.chunk_matmul}
// CHECK:         linalg.generic {{.+}} ins({{.+}} : tensor<16x16xf32>, tensor<16xf32>) outs({{.+}} : tensor<16x16xf32>)
// CHECK:         scf.for {{.+}} -> (tensor<16x16xf32>)
// CHECK:           vector.transfer_read {{.+}} : tensor<16x16xf32>, vector<16xf32>
// CHECK:         linalg.generic {{.+}} ins({{.+}} : tensor<16x16xf32>, tensor<16x6xf32>) outs({{.+}} : tensor<16x6xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:         linalg.generic {{.+}} ins({{.+}} : tensor<16x16xf32>, tensor<16x4xf32>) outs({{.+}} : tensor<16x4xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:         linalg.generic {{.+}} ins({{.+}} : tensor<16x4xf32>, tensor<4x6xf32>) outs({{.+}} : tensor<16x6xf32>) attrs = {hymir.chunk_matmul}
func.func @kda(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
               %g: tensor<?x?x4xf32>, %beta: tensor<?x?xf32>, %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{chunked (diagonal UT/WY, sub-chunks of 8, C = 16): per-key decay, delta rule, read}}
  %o, %S = hymir.scan ins(%q, %k, %v, %g, %beta : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>, tensor<?x?xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: tensor<4xf32>, %b_t: f32, %s: tensor<4x6xf32>):
    %a = math.exp %g_t : tensor<4xf32>
    %sd = hymir.scale %s, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %p = hymir.read %sd, %k_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %v_t, %p : tensor<6xf32>
    %u = hymir.scale %e, %b_t : tensor<6xf32>, f32
    %ku = hymir.outer %k_t, %u : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %ku : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// KDA's per-key decay given as a parameter of unknown sign: no log-decay.
// CHECK-LABEL: func.func @kda_not_exp
// CHECK:       hymir.scan
func.func @kda_not_exp(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                       %a: tensor<4xf32>, %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the per-key decay is not exp(x) (its logarithm may not exist)}}
  %o, %S = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      params(%a : tensor<4xf32>) inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %a_h: tensor<4xf32>, %s: tensor<4x6xf32>):
    %sd = hymir.scale %s, %a_h along rows : tensor<4x6xf32>, tensor<4xf32>
    %p = hymir.read %sd, %k_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %v_t, %p : tensor<6xf32>
    %ku = hymir.outer %k_t, %e : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %ku : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}
