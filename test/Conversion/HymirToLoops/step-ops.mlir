// RUN: hymir-opt %s --hymir-convert-hymir-to-loops -split-input-file | FileCheck %s

// hymir.scan / hymir.recurrence become an scf.forall over batch (× heads)
// whose iterations each own their slices of the results, around a time loop
// that carries the states; the body is cloned into the time loop.

// Heads: forall (b, h) in (B, 4); q (2 heads) is read at h // 2, v and g
// (4 heads) at h; params at h; the state starts as a copy of inits[b, h] in
// the final state's own slice [b, h], is carried, and copied into in place;
// each step's output goes to row t of the owned slice out[b, :, h]; both
// slices are handed back by parallel_insert_slice.
// CHECK-LABEL: func.func @scan_heads_gva
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: tensor<?x?x2x4xf32>, %[[V:[a-z0-9]+]]: tensor<?x?x4x6xf32>, %[[G:[a-z0-9]+]]: tensor<?x?x4xf32>, %[[A:[a-z0-9]+]]: tensor<4xf32>, %[[S0:[a-z0-9]+]]: tensor<?x4x4x6xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[B:.+]] = tensor.dim %[[Q]], %[[C0]]
// CHECK-DAG: %[[T:.+]] = tensor.dim %[[Q]], %[[C1]]
// CHECK-DAG: %[[OUT:.+]] = tensor.empty(%[[B]], %[[T]]) : tensor<?x?x4x6xf32>
// CHECK-DAG: %[[FIN:.+]] = tensor.empty(%[[B]]) : tensor<?x4x4x6xf32>
// CHECK: %[[ALL:.+]]:2 = scf.forall (%[[BI:.+]], %[[H:.+]]) in (%[[B]], 4) shared_outs(%[[O1:.+]] = %[[OUT]], %[[F1:.+]] = %[[FIN]])
// CHECK:   %[[AH:.+]] = tensor.extract %[[A]][%[[H]]] : tensor<4xf32>
// CHECK:   %[[OS:.+]] = tensor.extract_slice %[[O1]][%[[BI]], 0, %[[H]], 0] [1, %{{.+}}, 1, 6] [1, 1, 1, 1] : tensor<?x?x4x6xf32> to tensor<?x6xf32>
// CHECK:   %[[SH:.+]] = tensor.extract_slice %[[S0]][%[[BI]], %[[H]], 0, 0] [1, 1, 4, 6] [1, 1, 1, 1] : tensor<?x4x4x6xf32> to tensor<4x6xf32>
// CHECK:   %[[FS:.+]] = tensor.extract_slice %[[F1]][%[[BI]], %[[H]], 0, 0] [1, 1, 4, 6] [1, 1, 1, 1] : tensor<?x4x4x6xf32> to tensor<4x6xf32>
// CHECK:   %[[SI:.+]] = linalg.copy ins(%[[SH]] : tensor<4x6xf32>) outs(%[[FS]] : tensor<4x6xf32>)
// CHECK:   %[[HQ:.+]] = arith.divui %[[H]], %[[C2]] : index
// CHECK:   %[[TL:.+]]:2 = scf.for %[[TI:.+]] = %[[C0]] to %[[T]] step %[[C1]] iter_args(%[[O3:.+]] = %[[OS]], %[[ST:.+]] = %[[SI]])
// CHECK:     tensor.extract_slice %[[Q]][%[[BI]], %[[TI]], %[[HQ]], 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<?x?x2x4xf32> to tensor<4xf32>
// CHECK:     tensor.extract_slice %[[V]][%[[BI]], %[[TI]], %[[H]], 0] [1, 1, 1, 6] [1, 1, 1, 1] : tensor<?x?x4x6xf32> to tensor<6xf32>
// CHECK:     tensor.extract %[[G]][%[[BI]], %[[TI]], %[[H]]] : tensor<?x?x4xf32>
// CHECK:     linalg.generic
// CHECK-NOT: hymir.
// CHECK:     %[[OI:.+]] = tensor.insert_slice %{{.+}} into %[[O3]][%[[TI]], 0] [1, 6] [1, 1] : tensor<6xf32> into tensor<?x6xf32>
// CHECK:     %[[SN:.+]] = linalg.copy ins(%{{.+}} : tensor<4x6xf32>) outs(%[[ST]] : tensor<4x6xf32>)
// CHECK:     scf.yield %[[OI]], %[[SN]]
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %[[TL]]#0 into %[[O1]][%[[BI]], 0, %[[H]], 0] [1, %{{.+}}, 1, 6] [1, 1, 1, 1] : tensor<?x6xf32> into tensor<?x?x4x6xf32>
// CHECK:     tensor.parallel_insert_slice %[[TL]]#1 into %[[F1]][%[[BI]], %[[H]], 0, 0] [1, 1, 4, 6] [1, 1, 1, 1] : tensor<4x6xf32> into tensor<?x4x4x6xf32>
// CHECK: return %[[ALL]]#0, %[[ALL]]#1
func.func @scan_heads_gva(%q: tensor<?x?x2x4xf32>, %v: tensor<?x?x4x6xf32>, %g: tensor<?x?x4xf32>,
                          %a: tensor<4xf32>, %s0: tensor<?x4x4x6xf32>)
    -> (tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>) {
  %o, %s = hymir.scan heads = 4 ins(%q, %v, %g : tensor<?x?x2x4xf32>, tensor<?x?x4x6xf32>, tensor<?x?x4xf32>)
      params(%a : tensor<4xf32>) inits(%s0 : tensor<?x4x4x6xf32>) -> (tensor<?x?x4x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: f32, %at: f32, %st: tensor<4x6xf32>):
    %e = arith.mulf %gt, %at : f32
    %sd = hymir.scale %st, %e : tensor<4x6xf32>, f32
    %kv = hymir.outer %qt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %s : tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>
}

// -----

// No heads: forall over b only; a param without heads is used whole; the
// time index argument becomes the time loop's induction variable.
// CHECK-LABEL: func.func @scan_no_heads_time_index
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x?x4xf32>, %[[W:[a-z0-9]+]]: tensor<4xf32>, %[[H0:[a-z0-9]+]]: tensor<?x4xf32>)
// CHECK: scf.forall (%[[BI:.+]]) in (%{{.+}}) shared_outs(%[[O:.+]] = %{{.+}}, %[[F:.+]] = %{{.+}})
// CHECK-NOT: scf.for
// CHECK:   %[[OS:.+]] = tensor.extract_slice %[[O]][%[[BI]], 0, 0] [1, %{{.+}}, 4] [1, 1, 1] : tensor<?x?x4xf32> to tensor<?x4xf32>
// CHECK:   %[[HB:.+]] = tensor.extract_slice %[[H0]][%[[BI]], 0] [1, 4] [1, 1] : tensor<?x4xf32> to tensor<4xf32>
// CHECK:   %[[FS:.+]] = tensor.extract_slice %[[F]][%[[BI]], 0] [1, 4] [1, 1] : tensor<?x4xf32> to tensor<4xf32>
// CHECK:   %[[SI:.+]] = linalg.copy ins(%[[HB]] : tensor<4xf32>) outs(%[[FS]] : tensor<4xf32>)
// CHECK:   scf.for %[[TI:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %[[OS]], %[[ST:.+]] = %[[SI]])
// CHECK:     %[[XT:.+]] = tensor.extract_slice %[[X]][%[[BI]], %[[TI]], 0] [1, 1, 4] [1, 1, 1] : tensor<?x?x4xf32> to tensor<4xf32>
// CHECK:     arith.index_cast %[[TI]] : index to i64
// CHECK:     arith.mulf %[[W]], %[[XT]] : tensor<4xf32>
// CHECK:     tensor.insert_slice %{{.+}} into %{{.+}}[%[[TI]], 0] [1, 4] [1, 1]
// CHECK:     linalg.copy ins(%{{.+}} : tensor<4xf32>) outs(%[[ST]] : tensor<4xf32>)
// CHECK:   tensor.parallel_insert_slice %{{.+}} into %[[F]][%[[BI]], 0] [1, 4] [1, 1]
func.func @scan_no_heads_time_index(%x: tensor<?x?x4xf32>, %w: tensor<4xf32>, %h0: tensor<?x4xf32>)
    -> (tensor<?x?x4xf32>, tensor<?x4xf32>) {
  %o, %h = hymir.scan ins(%x : tensor<?x?x4xf32>) params(%w : tensor<4xf32>)
      inits(%h0 : tensor<?x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%t: index, %xt: tensor<4xf32>, %wt: tensor<4xf32>, %ht: tensor<4xf32>):
    %ti = arith.index_cast %t : index to i64
    %tf = arith.sitofp %ti : i64 to f32
    %hs = hymir.scale %ht, %tf : tensor<4xf32>, f32
    %u = arith.mulf %wt, %xt : tensor<4xf32>
    %hn = arith.addf %hs, %u : tensor<4xf32>
    hymir.yield %hn, %hn : tensor<4xf32>, tensor<4xf32>
  }
  return %o, %h : tensor<?x?x4xf32>, tensor<?x4xf32>
}

// -----

// Recurrence with a scalar state and a scalar output: tensor.extract of the
// initial state, an f32 iter_arg (no copy), tensor.insert of the output into
// the owned row out[b, :]; the final scalar goes back through a rank-0 tensor.
// CHECK-LABEL: func.func @recurrence_scalar_state
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x?x8xf32>, %[[M0:[a-z0-9]+]]: tensor<?xf32>)
// CHECK: scf.forall (%[[BI:.+]]) in (%{{.+}}) shared_outs(%[[OA:.+]] = %{{.+}}, %[[F:.+]] = %{{.+}}) -> (tensor<?x?xf32>, tensor<?xf32>)
// CHECK:   %[[OS:.+]] = tensor.extract_slice %[[OA]][%[[BI]], 0] [1, %{{.+}}] [1, 1] : tensor<?x?xf32> to tensor<?xf32>
// CHECK:   %[[MB:.+]] = tensor.extract %[[M0]][%[[BI]]] : tensor<?xf32>
// CHECK:   %[[TL:.+]]:2 = scf.for %[[TI:.+]] = {{.+}} iter_args(%[[O:.+]] = %[[OS]], %[[MT:.+]] = %[[MB]]) -> (tensor<?xf32>, f32)
// CHECK:     %[[SUM:.+]] = linalg.generic
// CHECK:     %[[S:.+]] = tensor.extract %[[SUM]][] : tensor<f32>
// CHECK:     %[[MN:.+]] = arith.maximumf %[[MT]], %[[S]] : f32
// CHECK:     %[[OI:.+]] = tensor.insert %[[MN]] into %[[O]][%[[TI]]] : tensor<?xf32>
// CHECK-NOT: linalg.copy
// CHECK:     scf.yield %[[OI]], %[[MN]] : tensor<?xf32>, f32
// CHECK:   %[[FE:.+]] = tensor.from_elements %[[TL]]#1 : tensor<f32>
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %[[TL]]#0 into %[[OA]][%[[BI]], 0] [1, %{{.+}}] [1, 1]
// CHECK:     tensor.parallel_insert_slice %[[FE]] into %[[F]][%[[BI]]] [1] [1] : tensor<f32> into tensor<?xf32>
func.func @recurrence_scalar_state(%x: tensor<?x?x8xf32>, %m0: tensor<?xf32>)
    -> (tensor<?x?xf32>, tensor<?xf32>) {
  %m, %mT = hymir.recurrence ins(%x : tensor<?x?x8xf32>) inits(%m0 : tensor<?xf32>)
      -> (tensor<?x?xf32>) {
  ^bb0(%xt: tensor<8xf32>, %mt: f32):
    %n = math.tanh %xt : tensor<8xf32>
    %s = hymir.sum %n : tensor<8xf32> -> f32
    %mn = arith.maximumf %mt, %s : f32
    hymir.yield %mn, %mn : f32, f32
  }
  return %m, %mT : tensor<?x?xf32>, tensor<?xf32>
}
