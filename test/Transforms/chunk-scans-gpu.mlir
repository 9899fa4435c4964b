// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false polynomial-exp=false" --canonicalize | FileCheck %s
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false value-tile=4" --canonicalize | FileCheck %s --check-prefix=TILES
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false" | FileCheck %s --check-prefix=NOTAG
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false blocked-inverse=on" --canonicalize | FileCheck %s --check-prefix=BLOCKED

// hymir-chunk-scans as hymir-cuda-pipeline runs it: the chunk algebra without
// vector<C> code (a GPU block would run it in one thread) and with math.exp
// (libdevice), so that every row copy, mask and sum is a loop the block's
// threads share. Gated DeltaNet's body (K = 6, V = 10, 2 heads).

// CHECK-LABEL: func.func @gdn
// CHECK-NOT:   vector.
// CHECK-NOT:   llvm.intr
// CHECK:       scf.forall
// Prepare: the step's rows inserted as slices.
// CHECK:         tensor.insert_slice %{{.+}} into %{{.+}}[%{{.+}}, 0] [1, 6] [1, 1] : tensor<6xf32> into tensor<16x6xf32>
// The in-chunk cumulative log-decay: one sum per row over j <= i.
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:           linalg.index 0
// CHECK:           linalg.index 1
// CHECK:           arith.cmpi ule
// K Kᵀ reads a transposed copy of K (coalesced along the output's columns).
// CHECK:         %[[KT:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<16x6xf32>) outs(%{{.+}} : tensor<6x16xf32>)
// CHECK:         linalg.generic {{.+}} ins(%{{.+}}, %[[KT]] : tensor<16x6xf32>, tensor<6x16xf32>) {{.+}}hymir.chunk_matmul
// The strict causal decay mask as one element-wise generic over (i, j).
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK:           arith.cmpi ult
// CHECK:           math.exp
// Forward substitution: a loop over rows, each a generic over (column, j).
// CHECK:         scf.for
// CHECK:           linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:           tensor.insert_slice %{{.+}} into %{{.+}}[%{{.+}}, 0] [1, 16] [1, 1] : tensor<16xf32> into tensor<16x16xf32>
// The chunk's output rows leave as one slice.
// CHECK:         tensor.extract_slice %{{.+}}[0, 0] [%{{.+}}, 10] [1, 1] : tensor<16x10xf32> to tensor<?x10xf32>
// CHECK:         tensor.insert_slice
// value-tile = 4 with V = 10: ⌈10 / 4⌉ = 3 does not divide 10, so 2 tiles of
// 5 columns; the grid gains a tile dim, each iteration reads its columns of
// the initial state and of v_t, and writes its columns of o and S_T.
// TILES:       scf.forall (%[[B:.+]], %[[H:.+]], %[[J:.+]]) in (%{{.+}}, 2, 2)
// TILES:         %[[COL:.+]] = arith.muli %[[J]], %c5
// TILES:         tensor.extract_slice %{{.+}}[%[[B]], %[[H]], 0, %[[COL]]] [1, 1, 6, 5] [1, 1, 1, 1] : tensor<?x2x6x10xf32> to tensor<6x5xf32>
// TILES:         tensor.extract_slice %{{.+}}[%[[COL]]] [5] [1] : tensor<10xf32> to tensor<5xf32>
// TILES:         scf.forall.in_parallel
// TILES:           tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B]], 0, %[[H]], %[[COL]]] [1, %{{.+}}, 1, 5] [1, 1, 1, 1] : tensor<?x5xf32> into tensor<?x?x2x10xf32>
// TILES:           tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B]], %[[H]], 0, %[[COL]]] [1, 1, 6, 5] [1, 1, 1, 1] : tensor<6x5xf32> into tensor<?x2x6x10xf32>
func.func @gdn(%q: tensor<?x?x2x6xf32>, %k: tensor<?x?x2x6xf32>, %v: tensor<?x?x2x10xf32>,
               %g: tensor<?x?x2xf32>, %beta: tensor<?x?x2xf32>, %S0: tensor<?x2x6x10xf32>)
    -> (tensor<?x?x2x10xf32>, tensor<?x2x6x10xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v, %g, %beta : tensor<?x?x2x6xf32>, tensor<?x?x2x6xf32>,
          tensor<?x?x2x10xf32>, tensor<?x?x2xf32>, tensor<?x?x2xf32>)
      inits(%S0 : tensor<?x2x6x10xf32>) -> (tensor<?x?x2x10xf32>) {
  ^bb0(%q_t: tensor<6xf32>, %k_t: tensor<6xf32>, %v_t: tensor<10xf32>, %g_t: f32, %beta_t: f32,
       %S: tensor<6x10xf32>):
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<6x10xf32>, f32
    %pred = hymir.read %S_decayed, %k_t : tensor<6x10xf32>, tensor<6xf32> -> tensor<10xf32>
    %err = arith.subf %v_t, %pred : tensor<10xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<10xf32>, f32
    %ku = hymir.outer %k_t, %u_t : tensor<6xf32>, tensor<10xf32> -> tensor<6x10xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<6x10xf32>
    %o_t = hymir.read %S_new, %q_t : tensor<6x10xf32>, tensor<6xf32> -> tensor<10xf32>
    hymir.yield %o_t, %S_new : tensor<10xf32>, tensor<6x10xf32>
  }
  return %o, %S_T : tensor<?x?x2x10xf32>, tensor<?x2x6x10xf32>
}

// Without vector rows (the GPU) the prepare loop is not tagged for the CPU's
// prefetch pass and its rows are zero-filled before it, as before.
// NOTAG: linalg.fill
// NOTAG: scf.for
// NOTAG-NOT: hymir.chunk_prepare

// blocked-inverse: L = (I + A)⁻¹ by doubling diagonal blocks, log₂ 16 = 4
// levels of two products with reductions of length s (an unread [s] operand
// carries the extent): T = A₂₁ L₁₁ reads A at the row's 2s-block, then
// L₂₁ = −L₂₂ T reads the block's second half; no row-by-row loop.
// BLOCKED-DAG: #[[T1A:.+]] = affine_map<(d0, d1, d2) -> (d0, (d0 floordiv 2) * 2 + d2)>
// BLOCKED-DAG: #[[T1L:.+]] = affine_map<(d0, d1, d2) -> ((d0 floordiv 2) * 2 + d2, d1)>
// BLOCKED-DAG: #[[L1L:.+]] = affine_map<(d0, d1, d2) -> (d0, (d0 floordiv 2) * 2 + d2 + 1)>
// BLOCKED-DAG: #[[L4L:.+]] = affine_map<(d0, d1, d2) -> (d0, (d0 floordiv 16) * 16 + d2 + 8)>
// BLOCKED-LABEL: func.func @gdn
// BLOCKED:       %[[T1:.+]] = linalg.generic {indexing_maps = [#[[T1A]], #[[T1L]], {{.+}}], iterator_types = ["parallel", "parallel", "reduction"]} ins({{.+}} : tensor<16x16xf32>, tensor<16x16xf32>, tensor<1xf32>)
// BLOCKED:       linalg.generic {indexing_maps = [#[[L1L]], {{.+}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[T1]], %{{.+}} : tensor<16x16xf32>, tensor<16x16xf32>, tensor<1xf32>)
// The pair's lower-left block replaces L there: rows in the second half,
// columns in the first half of the same 2s-block.
// BLOCKED:       linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// BLOCKED:         arith.remui
// BLOCKED:         arith.divui
// BLOCKED:         arith.cmpi uge
// BLOCKED:         arith.cmpi ult
// BLOCKED:         arith.select
// BLOCKED:       linalg.generic {indexing_maps = [#[[L4L]], {{.+}}], iterator_types = ["parallel", "parallel", "reduction"]} ins({{.+}} : tensor<16x16xf32>, tensor<16x16xf32>, tensor<8xf32>)
