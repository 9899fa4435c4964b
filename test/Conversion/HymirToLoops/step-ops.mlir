// RUN: hymir-opt %s --hymir-convert-hymir-to-loops -split-input-file | FileCheck %s

// hymir.scan / hymir.recurrence become a loop nest b → (h →) t with the states
// carried through the time loop; the body is cloned into the time loop.

// Heads: the loop nest is b, h, t; q (2 heads) is read at h // 2, v and g
// (4 heads) at h; params at h; the state is sliced at [b, h], carried, copied
// into in place, and inserted into the final state at [b, h].
// CHECK-LABEL: func.func @scan_heads_gva
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: tensor<?x?x2x4xf32>, %[[V:[a-z0-9]+]]: tensor<?x?x4x6xf32>, %[[G:[a-z0-9]+]]: tensor<?x?x4xf32>, %[[A:[a-z0-9]+]]: tensor<4xf32>, %[[S0:[a-z0-9]+]]: tensor<?x4x4x6xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[B:.+]] = tensor.dim %[[Q]], %[[C0]]
// CHECK-DAG: %[[T:.+]] = tensor.dim %[[Q]], %[[C1]]
// CHECK-DAG: %[[OUT:.+]] = tensor.empty(%[[B]], %[[T]]) : tensor<?x?x4x6xf32>
// CHECK-DAG: %[[FIN:.+]] = tensor.empty(%[[B]]) : tensor<?x4x4x6xf32>
// CHECK: scf.for %[[BI:.+]] = %[[C0]] to %[[B]] step %[[C1]] iter_args(%[[O1:.+]] = %[[OUT]], %[[F1:.+]] = %[[FIN]])
// CHECK:   scf.for %[[H:.+]] = %[[C0]] to %[[C4]] step %[[C1]] iter_args(%[[O2:.+]] = %[[O1]], %[[F2:.+]] = %[[F1]])
// CHECK:     %[[AH:.+]] = tensor.extract %[[A]][%[[H]]] : tensor<4xf32>
// CHECK:     %[[SH:.+]] = tensor.extract_slice %[[S0]][%[[BI]], %[[H]], 0, 0] [1, 1, 4, 6] [1, 1, 1, 1] : tensor<?x4x4x6xf32> to tensor<4x6xf32>
// CHECK:     %[[HQ:.+]] = arith.divui %[[H]], %[[C2]] : index
// CHECK:     %[[TL:.+]]:2 = scf.for %[[TI:.+]] = %[[C0]] to %[[T]] step %[[C1]] iter_args(%[[O3:.+]] = %[[O2]], %[[ST:.+]] = %[[SH]])
// CHECK:       tensor.extract_slice %[[Q]][%[[BI]], %[[TI]], %[[HQ]], 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<?x?x2x4xf32> to tensor<4xf32>
// CHECK:       tensor.extract_slice %[[V]][%[[BI]], %[[TI]], %[[H]], 0] [1, 1, 1, 6] [1, 1, 1, 1] : tensor<?x?x4x6xf32> to tensor<6xf32>
// CHECK:       tensor.extract %[[G]][%[[BI]], %[[TI]], %[[H]]] : tensor<?x?x4xf32>
// CHECK:       linalg.generic
// CHECK-NOT:   hymir.
// CHECK:       %[[OI:.+]] = tensor.insert_slice %{{.+}} into %[[O3]][%[[BI]], %[[TI]], %[[H]], 0] [1, 1, 1, 6] [1, 1, 1, 1]
// CHECK:       %[[SN:.+]] = linalg.copy ins(%{{.+}} : tensor<4x6xf32>) outs(%[[ST]] : tensor<4x6xf32>)
// CHECK:       scf.yield %[[OI]], %[[SN]]
// CHECK:     %[[FI:.+]] = tensor.insert_slice %[[TL]]#1 into %[[F2]][%[[BI]], %[[H]], 0, 0] [1, 1, 4, 6] [1, 1, 1, 1]
// CHECK:     scf.yield %[[TL]]#0, %[[FI]]
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

// No heads: the nest is b, t; a param without heads is used whole; the time
// index argument becomes the time loop's induction variable.
// CHECK-LABEL: func.func @scan_no_heads_time_index
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x?x4xf32>, %[[W:[a-z0-9]+]]: tensor<4xf32>, %[[H0:[a-z0-9]+]]: tensor<?x4xf32>)
// CHECK: scf.for %[[BI:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK-NOT: scf.for
// CHECK:   %[[HB:.+]] = tensor.extract_slice %[[H0]][%[[BI]], 0] [1, 4] [1, 1] : tensor<?x4xf32> to tensor<4xf32>
// CHECK:   scf.for %[[TI:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %[[ST:.+]] = %[[HB]])
// CHECK:     %[[XT:.+]] = tensor.extract_slice %[[X]][%[[BI]], %[[TI]], 0] [1, 1, 4] [1, 1, 1] : tensor<?x?x4xf32> to tensor<4xf32>
// CHECK:     arith.index_cast %[[TI]] : index to i64
// CHECK:     arith.mulf %[[W]], %[[XT]] : tensor<4xf32>
// CHECK:     tensor.insert_slice %{{.+}} into %{{.+}}[%[[BI]], %[[TI]], 0] [1, 1, 4] [1, 1, 1]
// CHECK:     linalg.copy ins(%{{.+}} : tensor<4xf32>) outs(%[[ST]] : tensor<4xf32>)
// CHECK:   tensor.insert_slice %{{.+}} into %{{.+}}[%[[BI]], 0] [1, 4] [1, 1]
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
// initial state, an f32 iter_arg (no copy), tensor.insert of the output.
// CHECK-LABEL: func.func @recurrence_scalar_state
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x?x8xf32>, %[[M0:[a-z0-9]+]]: tensor<?xf32>)
// CHECK: scf.for %[[BI:.+]] = {{.+}} iter_args(%{{.+}} = %{{.+}}, %[[F:.+]] = %{{.+}}) -> (tensor<?x?xf32>, tensor<?xf32>)
// CHECK:   %[[MB:.+]] = tensor.extract %[[M0]][%[[BI]]] : tensor<?xf32>
// CHECK:   %[[TL:.+]]:2 = scf.for %[[TI:.+]] = {{.+}} iter_args(%[[O:.+]] = %{{.+}}, %[[MT:.+]] = %[[MB]]) -> (tensor<?x?xf32>, f32)
// CHECK:     %[[SUM:.+]] = linalg.generic
// CHECK:     %[[S:.+]] = tensor.extract %[[SUM]][] : tensor<f32>
// CHECK:     %[[MN:.+]] = arith.maximumf %[[MT]], %[[S]] : f32
// CHECK:     %[[OI:.+]] = tensor.insert %[[MN]] into %[[O]][%[[BI]], %[[TI]]] : tensor<?x?xf32>
// CHECK-NOT: linalg.copy
// CHECK:     scf.yield %[[OI]], %[[MN]] : tensor<?x?xf32>, f32
// CHECK:   tensor.insert %[[TL]]#1 into %[[F]][%[[BI]]] : tensor<?xf32>
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
