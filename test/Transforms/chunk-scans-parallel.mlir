// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false value-tile=4 parallel-chunks=true" --canonicalize | FileCheck %s
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 parallel-chunks=true" --canonicalize | FileCheck %s --check-prefix=VECTOR
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false value-tile=4 parallel-chunks=true output-value-tile=0" --canonicalize | FileCheck %s --check-prefix=WHOLE
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false parallel-chunks=true output-value-tile=5" --canonicalize | FileCheck %s --check-prefix=OUTONLY

// hymir-chunk-scans' parallel-chunks form (the CUDA pipeline's): the chunk
// terms per (batch, head, chunk) in parallel (decayed keys, U, −W of the
// delta rule, the chunk's total decay), a state pass per (batch, head,
// tile) that records each chunk's incoming state and the delta rule's V',
// then one iteration per (batch, head, tile, chunk) for the outputs. Gated
// DeltaNet (K = 6, V = 10 in 2 tiles of 5, 2 heads) and simple GLA with GQA
// (4 value heads, 2 key heads).

// CHECK-LABEL: func.func @gdn
// CHECK:       %[[NC:.+]] = arith.ceildivui %{{.+}}, %c16
// CHECK:       %[[PAD:.+]] = arith.muli %[[NC]], %c16
// 1. Chunk terms, full value width: K_d, U, −W as [B, H, 16 ⌈T / 16⌉, ..],
//    the total decays as [B, H, ⌈T / 16⌉].
// CHECK:       %[[TERMS:.+]]:4 = scf.forall (%[[B0:.+]], %[[H0:.+]], %[[C0:.+]]) in (%{{.+}}, 2, %[[NC]]) shared_outs({{.+}}) -> (tensor<?x2x?x6xf32>, tensor<?x2x?x10xf32>, tensor<?x2x?x6xf32>, tensor<?x2x?xf32>)
// No query rows: keys, values, g, β.
// CHECK:         scf.for {{.+}} -> (tensor<16x6xf32>, tensor<16x10xf32>, tensor<16xf32>, tensor<16xf32>)
// Each term leaves through a fresh buffer (a workaround for bufferization,
// ChunkScans.cpp says which).
// CHECK-COUNT-4: bufferization.alloc_tensor()
// CHECK:         scf.forall.in_parallel
// CHECK-COUNT-3:   tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B0]], %[[H0]], %{{.+}}, 0] [1, 1, 16, {{6|10}}]
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B0]], %[[H0]], %[[C0]]] [1, 1, 1]
// 2. The state pass: S_c [B, H, ⌈T / 16⌉, K, V] and V' [B, H, 16 ⌈T / 16⌉, V].
// CHECK:       %[[STATES:.+]] = tensor.empty(%{{.+}}, %[[NC]]) : tensor<?x2x?x6x10xf32>
// CHECK:       %[[ROWS:.+]] = tensor.empty(%{{.+}}, %[[PAD]]) : tensor<?x2x?x10xf32>
// CHECK:       %[[PASS:.+]]:3 = scf.forall (%[[B:.+]], %[[H:.+]], %[[J:.+]]) in (%{{.+}}, 2, 2) shared_outs(%{{.+}}, %{{.+}} = %[[STATES]], %{{.+}} = %[[ROWS]])
// CHECK:         scf.for %[[C:.+]] = %c0 to %[[NC]] step %c1 iter_args(%[[S:.+]] = %{{.+}}, %[[SACC:.+]] = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<6x5xf32>, tensor<?x6x5xf32>, tensor<?x5xf32>)
// CHECK-NOT:       scf.for
// The incoming state is recorded before the chunk updates it.
// CHECK:           tensor.insert_slice %[[S]] into %[[SACC]][%[[C]], 0, 0] [1, 6, 5] [1, 1, 1] : tensor<6x5xf32> into tensor<?x6x5xf32>
// CHECK:           %[[U:.+]] = tensor.extract_slice %[[TERMS]]#1[%[[B]], %[[H]], %{{.+}}, %{{.+}}] [1, 1, 16, 5]
// CHECK:           %[[W:.+]] = tensor.extract_slice %[[TERMS]]#2[%[[B]], %[[H]], %{{.+}}, 0] [1, 1, 16, 6]
// CHECK:           %[[VP:.+]] = linalg.generic {{.+}} ins(%[[W]], %[[S]] : tensor<16x6xf32>, tensor<6x5xf32>) outs(%[[U]] : tensor<16x5xf32>) {{.+}}hymir.chunk_matmul
// CHECK:           tensor.insert_slice %[[VP]] into %{{.+}}[%{{.+}}, 0] [16, 5] [1, 1] : tensor<16x5xf32> into tensor<?x5xf32>
// CHECK:           tensor.extract %[[TERMS]]#3[%[[B]], %[[H]], %[[C]]]
// CHECK:           %[[KD:.+]] = tensor.extract_slice %[[TERMS]]#0[%[[B]], %[[H]], %{{.+}}, 0] [1, 1, 16, 6]
// CHECK:           linalg.generic {{.+}} ins(%[[KD]], %[[VP]] : tensor<16x6xf32>, tensor<16x5xf32>) {{.+}}hymir.chunk_matmul
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B]], %[[H]], 0, %{{.+}}] [1, 1, 6, 5]
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B]], %[[H]], 0, 0, %{{.+}}] [1, 1, %{{.+}}, 6, 5]
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B]], %[[H]], 0, %{{.+}}] [1, 1, %{{.+}}, 5]
// 3. The outputs, a chunk per iteration: queries and keys only (V' is read).
// CHECK:       %[[OUT:.+]] = scf.forall (%[[B2:.+]], %[[H2:.+]], %[[J2:.+]], %[[C2:.+]]) in (%{{.+}}, 2, 2, %[[NC]])
// CHECK:         scf.for {{.+}} -> (tensor<16x6xf32>, tensor<16x6xf32>, tensor<16xf32>)
// CHECK:         %[[SC:.+]] = tensor.extract_slice %[[PASS]]#1[%[[B2]], %[[H2]], %[[C2]], 0, %{{.+}}] [1, 1, 1, 6, 5] [1, 1, 1, 1, 1] : tensor<?x2x?x6x10xf32> to tensor<6x5xf32>
// CHECK:         %[[VC:.+]] = tensor.extract_slice %[[PASS]]#2[%[[B2]], %[[H2]], %{{.+}}, %{{.+}}] [1, 1, 16, 5] [1, 1, 1, 1] : tensor<?x2x?x10xf32> to tensor<16x5xf32>
// CHECK:         linalg.generic {{.+}} ins(%{{.+}}, %[[SC]] : tensor<16x6xf32>, tensor<6x5xf32>) {{.+}}hymir.chunk_matmul
// CHECK:         linalg.generic {{.+}} ins(%{{.+}}, %[[VC]] : tensor<16x16xf32>, tensor<16x5xf32>) {{.+}}hymir.chunk_matmul
// The chunk's rows of the output (fewer in the last chunk).
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B2]], %{{.+}}, %[[H2]], %{{.+}}] [1, %{{.+}}, 1, 5] [1, 1, 1, 1] : tensor<?x5xf32> into tensor<?x?x2x10xf32>
// CHECK:       return %[[OUT]], %[[PASS]]#0

// output-value-tile=0: the state pass keeps its 2 tiles, each output
// iteration computes all 10 columns of its chunk.
// WHOLE-LABEL: func.func @gdn
// WHOLE:       scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}}, 2, %{{.+}})
// WHOLE:       scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}}, 2, 2)
// WHOLE:       scf.forall (%[[B:.+]], %[[H:.+]], %[[C:.+]]) in (%{{.+}}, 2, %{{.+}})
// WHOLE:         tensor.extract_slice %{{.+}}[%[[B]], %[[H]], %[[C]], 0, 0] [1, 1, 1, 6, 10] [1, 1, 1, 1, 1] : tensor<?x2x?x6x10xf32> to tensor<6x10xf32>
// WHOLE:         tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B]], %{{.+}}, %[[H]], 0] [1, %{{.+}}, 1, 10]
// output-value-tile=5 without value-tile: an untiled state pass, outputs in
// 2 tiles of 5 columns.
// OUTONLY-LABEL: func.func @gdn
// OUTONLY:       scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 2) shared_outs
// OUTONLY:       scf.forall (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}}, 2, 2, %{{.+}})
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

// Without the delta rule there is no V' workspace; the output iterations
// read the value rows themselves, and the query and key heads through the
// GQA mapping (head / 2).
// CHECK-LABEL: func.func @simple_gla_gqa
// The chunk terms: decayed keys, the value rows, the total decays (no −W).
// CHECK:       %[[STERMS:.+]]:3 = scf.forall (%{{.+}}, %[[TH:.+]], %{{.+}}) in (%{{.+}}, 4, %{{.+}}) shared_outs({{.+}}) -> (tensor<?x4x?x6xf32>, tensor<?x4x?x10xf32>, tensor<?x4x?xf32>)
// CHECK:         arith.divui %[[TH]], %c2
// CHECK:       %[[SPASS:.+]]:2 = scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}}, 4, 2) shared_outs(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<?x4x6x10xf32>, tensor<?x4x?x6x10xf32>)
// CHECK:         tensor.extract_slice %[[STERMS]]#1
// CHECK:       scf.forall (%{{.+}}, %[[GH:.+]], %{{.+}}, %{{.+}}) in (%{{.+}}, 4, 2, %{{.+}})
// CHECK:         arith.divui %[[GH]], %c2
// CHECK:         scf.for {{.+}} -> (tensor<16x6xf32>, tensor<16x6xf32>, tensor<16x5xf32>, tensor<16xf32>)
// CHECK:         tensor.extract_slice %[[SPASS]]#1
// CHECK:       return
// The CPU's vector rows keep the sequential form.
// VECTOR-LABEL: func.func @simple_gla_gqa
// VECTOR:       scf.forall (
// VECTOR-NOT:   scf.forall (
// VECTOR:       return
func.func @simple_gla_gqa(%q: tensor<?x?x2x6xf32>, %k: tensor<?x?x2x6xf32>,
                          %v: tensor<?x?x4x10xf32>, %g: tensor<?x?x4xf32>,
                          %S0: tensor<?x4x6x10xf32>)
    -> (tensor<?x?x4x10xf32>, tensor<?x4x6x10xf32>) {
  %o, %S_T = hymir.scan heads = 4
      ins(%q, %k, %v, %g : tensor<?x?x2x6xf32>, tensor<?x?x2x6xf32>, tensor<?x?x4x10xf32>,
          tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x6x10xf32>) -> (tensor<?x?x4x10xf32>) {
  ^bb0(%q_t: tensor<6xf32>, %k_t: tensor<6xf32>, %v_t: tensor<10xf32>, %g_t: f32,
       %S: tensor<6x10xf32>):
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<6x10xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<6xf32>, tensor<10xf32> -> tensor<6x10xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<6x10xf32>
    %o_t = hymir.read %S_new, %q_t : tensor<6x10xf32>, tensor<6xf32> -> tensor<10xf32>
    hymir.yield %o_t, %S_new : tensor<10xf32>, tensor<6x10xf32>
  }
  return %o, %S_T : tensor<?x?x4x10xf32>, tensor<?x4x6x10xf32>
}
