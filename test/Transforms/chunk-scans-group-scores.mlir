// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 remarks=true share-group-scores=true" -split-input-file -verify-diagnostics --canonicalize | FileCheck %s
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16" -split-input-file --canonicalize | FileCheck %s --check-prefix=OFF

// hymir-chunk-scans{share-group-scores}: heads that read the same query/key
// group (block mapping) share Q Kᵀ, computed once per (batch, group, chunk)
// in a parallel loop nest before the per-head chunk loops.

// Four heads read two q/k groups (q_t scaled by a constant, from outside
// the body, is still the group's): Q Kᵀ of every chunk in a
// [B, 2, ⌈T/16⌉, 16, 16] workspace; head h reads group h / 2's tile and
// only masks it.
// CHECK-LABEL: func.func @shared
// CHECK:       %[[N:.+]] = arith.ceildivui %{{.+}}, %c16
// CHECK:       %[[WS:.+]] = tensor.empty(%{{.+}}, %[[N]]) : tensor<?x2x?x16x16xf32>
// CHECK:       %[[SC:.+]] = scf.forall (%[[B:.+]], %[[G:.+]], %[[C:.+]]) in (%{{.+}}, 2, %[[N]]) shared_outs(%[[OUT:.+]] = %[[WS]])
// CHECK:         %[[H0:.+]] = arith.muli %[[G]], %c2
// CHECK:         %[[QG:.+]] = arith.divui %[[H0]], %c2
// CHECK:         scf.for
// CHECK:           tensor.extract_slice %arg0[%[[B]], %{{.+}}, %[[QG]], 0] [1, 1, 1, 4]
// CHECK:         } {hymir.chunk_prepare = 16 : i64}
// CHECK:         %[[P:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<16x16xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_result}
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %[[P]] into %[[OUT]][%[[B]], %[[G]], %[[C]], 0, 0] [1, 1, 1, 16, 16]
// CHECK:       scf.forall (%[[B2:.+]], %[[H:.+]]) in (%{{.+}}, 4)
// CHECK-COUNT-3: arith.divui %[[H]], %c2
// CHECK:         scf.for %[[C2:.+]] = %c0 to %{{.+}} step %c1 iter_args
// CHECK-NOT:       hymir.lower_triangular_result
// CHECK:           %[[TILE:.+]] = tensor.extract_slice %[[SC]][%[[B2]], %{{.+}}, %[[C2]], 0, 0] [1, 1, 1, 16, 16]
// CHECK-NOT:       hymir.lower_triangular_result
// CHECK:           scf.for {{.+}} -> (tensor<16x16xf32>)
// CHECK:             vector.transfer_read %[[TILE]]
// CHECK-NOT:       hymir.lower_triangular_result
// CHECK:         scf.forall.in_parallel
// Without the option, every head computes its own product.
// OFF-LABEL:   func.func @shared
// OFF-NOT:     tensor<?x2x?x16x16xf32>
// OFF:         scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 4)
// OFF:           hymir.lower_triangular_result
func.func @shared(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x4x6xf32>,
                  %g: tensor<?x?x4xf32>, %S0: tensor<?x4x4x6xf32>)
    -> (tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>) {
  %scale = arith.constant 0.5 : f32
  // expected-remark @+1 {{chunked (masked matmul, C = 16): scalar decay, rank-1 update, read, Q Kᵀ shared by groups of 2 heads}}
  %o, %S = hymir.scan heads = 4
      ins(%q, %k, %v, %g : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x4x6xf32>,
          tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4x6xf32>) -> (tensor<?x?x4x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: f32,
       %s: tensor<4x6xf32>):
    %a = math.exp %g_t : f32
    %qs = hymir.scale %q_t, %scale : tensor<4xf32>, f32
    %sd = hymir.scale %s, %a : tensor<4x6xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %kv, %sd : tensor<4x6xf32>
    %o_t = hymir.read %sn, %qs : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>
}

// -----

// The query scaled by a per-head parameter differs between the heads of a
// group: nothing is shared.
// CHECK-LABEL: func.func @per_head_query
// CHECK-NOT:   tensor<?x2x?x16x16xf32>
// CHECK:       scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 4)
// CHECK:         hymir.lower_triangular_result
func.func @per_head_query(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x4x6xf32>,
                          %g: tensor<?x?x4xf32>, %w: tensor<4xf32>, %S0: tensor<?x4x4x6xf32>)
    -> (tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>) {
  // expected-remark @+1 {{chunked (masked matmul, C = 16): scalar decay, rank-1 update, read}}
  %o, %S = hymir.scan heads = 4
      ins(%q, %k, %v, %g : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x4x6xf32>,
          tensor<?x?x4xf32>)
      params(%w : tensor<4xf32>) inits(%S0 : tensor<?x4x4x6xf32>) -> (tensor<?x?x4x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: f32, %w_h: f32,
       %s: tensor<4x6xf32>):
    %a = math.exp %g_t : f32
    %qs = hymir.scale %q_t, %w_h : tensor<4xf32>, f32
    %sd = hymir.scale %s, %a : tensor<4x6xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %kv, %sd : tensor<4x6xf32>
    %o_t = hymir.read %sn, %qs : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>
}

// -----

// Every head its own keys (q shared, k not): nothing is shared.
// CHECK-LABEL: func.func @per_head_keys
// CHECK-NOT:   x16x16xf32>
// CHECK:       scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 4)
// CHECK:         hymir.lower_triangular_result
func.func @per_head_keys(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x4x4xf32>, %v: tensor<?x?x4x6xf32>,
                         %S0: tensor<?x4x4x6xf32>)
    -> (tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>) {
  // expected-remark @+1 {{chunked (masked matmul, C = 16): no decay, rank-1 update, read}}
  %o, %S = hymir.scan heads = 4
      ins(%q, %k, %v : tensor<?x?x2x4xf32>, tensor<?x?x4x4xf32>, tensor<?x?x4x6xf32>)
      inits(%S0 : tensor<?x4x4x6xf32>) -> (tensor<?x?x4x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %s: tensor<4x6xf32>):
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %s, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>
}

// -----

// The delta rule with GVA: Q Kᵀ and K Kᵀ both shared (two workspaces
// from one loop nest); β, a per-head row scale of K Kᵀ's mask, stays in
// the per-head loops.
// CHECK-LABEL: func.func @delta_gqa
// CHECK:       %[[SC:.+]]:2 = scf.forall ({{.+}}) in (%{{.+}}, 2, %{{.+}}) shared_outs({{.+}}) -> (tensor<?x2x?x16x16xf32>, tensor<?x2x?x16x16xf32>)
// CHECK-COUNT-2: hymir.lower_triangular_result
// CHECK:         scf.forall.in_parallel
// CHECK-COUNT-2:   tensor.parallel_insert_slice
// CHECK:       scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 4)
// CHECK-NOT:     hymir.lower_triangular_result
// CHECK-DAG:     tensor.extract_slice %[[SC]]#0
// CHECK-DAG:     tensor.extract_slice %[[SC]]#1
// CHECK-NOT:     hymir.lower_triangular_result
// CHECK:         scf.forall.in_parallel
func.func @delta_gqa(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x4x4xf32>,
                     %beta: tensor<?x?x4xf32>, %S0: tensor<?x4x4x4xf32>)
    -> (tensor<?x?x4x4xf32>, tensor<?x4x4x4xf32>) {
  // expected-remark @+1 {{chunked (UT/WY, C = 16): no decay, delta rule, read, Q Kᵀ and K Kᵀ shared by groups of 2 heads}}
  %o, %S = hymir.scan heads = 4
      ins(%q, %k, %v, %beta : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x4x4xf32>,
          tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4x4xf32>) -> (tensor<?x?x4x4xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<4xf32>, %b_t: f32,
       %s: tensor<4x4xf32>):
    %sk = hymir.read %s, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %diff = arith.subf %v_t, %sk : tensor<4xf32>
    %bd = hymir.scale %diff, %b_t : tensor<4xf32>, f32
    %kv = hymir.outer %k_t, %bd : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %s, %kv : tensor<4x4xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %o_t, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %o, %S : tensor<?x?x4x4xf32>, tensor<?x4x4x4xf32>
}
