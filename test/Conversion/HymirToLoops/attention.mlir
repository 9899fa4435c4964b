// RUN: hymir-opt %s --hymir-convert-hymir-to-loops -split-input-file | FileCheck %s

// Attention becomes an scf.forall over (b, h), each iteration owning
// out[b, :, h] and a [V] accumulator, around a loop over the query rows i and
// an online-softmax loop over the allowed keys only; no T×T buffer exists.

// Causal + window, GQA 4:2: the key loop runs over
// [max(i + δ + 1 − window, 0), min(Tk, i + δ + 1)) with δ = Tk − Tq; kv head
// h // 2; default scale 1/√8; the [V] accumulator is reset per row, rescaled
// per key, and divided by l (0 when no key) into row i of the owned slice
// out[b, :, h]. The score's dot product may be reassociated (vectorized); the
// rescale-and-add contracts to FMAs.
// CHECK-LABEL: func.func @attention_causal_window
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: tensor<?x?x4x8xf32>, %[[K:[a-z0-9]+]]: tensor<?x?x2x8xf32>, %[[V:[a-z0-9]+]]: tensor<?x?x2x6xf32>)
// CHECK-DAG: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 0.353553385 : f32
// CHECK-DAG: %[[C3:.+]] = arith.constant 3 : index
// CHECK-DAG: %[[TQ:.+]] = tensor.dim %[[Q]], %c1
// CHECK-DAG: %[[TK:.+]] = tensor.dim %[[K]], %c1
// CHECK: %[[DELTA:.+]] = arith.subi %[[TK]], %[[TQ]] : index
// CHECK: %[[ALL:.+]] = scf.forall (%[[BI:.+]], %[[H:.+]]) in (%{{.+}}, 4) shared_outs(%[[SH:.+]] = %{{.+}})
// CHECK:   %[[HK:.+]] = arith.divui %[[H]], %c2 : index
// CHECK:   %[[OWN:.+]] = tensor.extract_slice %[[SH]][%[[BI]], 0, %[[H]], 0] [1, %{{.+}}, 1, 6] [1, 1, 1, 1] : tensor<?x?x4x6xf32> to tensor<?x6xf32>
// CHECK:   %[[ACC0:.+]] = tensor.empty() : tensor<6xf32>
// CHECK:   %[[ROWS:.+]]:2 = scf.for %[[I:.+]] = {{.+}} iter_args(%[[OUT:.+]] = %[[OWN]], %{{.+}} = %[[ACC0]])
// CHECK:       %[[QPOS:.+]] = arith.addi %[[I]], %[[DELTA]] : index
// CHECK:       %[[AFTER:.+]] = arith.addi %[[QPOS]], %c1 : index
// CHECK:       %[[END:.+]] = arith.minsi %[[TK]], %[[AFTER]] : index
// CHECK:       %[[LO:.+]] = arith.subi %[[AFTER]], %[[C3]] : index
// CHECK:       %[[BEGIN:.+]] = arith.maxsi %[[LO]], %c0 : index
// CHECK:       %[[RESET:.+]] = scf.for {{.+}} -> (tensor<6xf32>)
// CHECK:       %[[ROW:.+]]:3 = scf.for %[[J:.+]] = %[[BEGIN]] to %[[END]] step %c1 iter_args(%[[M:.+]] = %[[NEGINF]], %[[L:.+]] = %cst{{.*}}, %{{.+}} = %[[RESET]]) -> (f32, f32, tensor<6xf32>)
// CHECK:         tensor.extract %[[Q]][%[[BI]], %[[I]], %[[H]], %{{.+}}]
// CHECK:         tensor.extract %[[K]][%[[BI]], %[[J]], %[[HK]], %{{.+}}]
// CHECK:         arith.mulf %{{.+}} fastmath<reassoc,contract> : f32
// CHECK:         arith.addf %{{.+}} fastmath<reassoc,contract> : f32
// CHECK:         %[[S:.+]] = arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK:         %[[MN:.+]] = arith.maximumf %[[M]], %[[S]] : f32
// CHECK:         %[[DEAD:.+]] = arith.cmpf oeq, %[[MN]], %[[NEGINF]] : f32
// CHECK:         math.exp
// CHECK:         math.exp
// CHECK:         tensor.extract %[[V]][%[[BI]], %[[J]], %[[HK]], %{{.+}}]
// CHECK:         arith.addf %{{.+}} fastmath<contract> : f32
// CHECK:         scf.yield %[[MN]], %{{.+}}, %{{.+}} : f32, f32, tensor<6xf32>
// CHECK:       arith.cmpf ogt, %[[ROW]]#1, %cst
// CHECK:       scf.for {{.+}} iter_args(%[[O:.+]] = %[[OUT]])
// CHECK:         tensor.insert %{{.+}} into %[[O]][%[[I]], %{{.+}}] : tensor<?x6xf32>
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %[[ROWS]]#0 into %[[SH]][%[[BI]], 0, %[[H]], 0] [1, %{{.+}}, 1, 6] [1, 1, 1, 1] : tensor<?x6xf32> into tensor<?x?x4x6xf32>
// CHECK: return %[[ALL]]
func.func @attention_causal_window(%q: tensor<?x?x4x8xf32>, %k: tensor<?x?x2x8xf32>,
                                   %v: tensor<?x?x2x6xf32>) -> tensor<?x?x4x6xf32> {
  %o = hymir.attention %q, %k, %v {causal, window = 3 : i64}
      : tensor<?x?x4x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x6xf32> -> tensor<?x?x4x6xf32>
  return %o : tensor<?x?x4x6xf32>
}

// -----

// Not causal, with sinks, softcap and a score_mod: all keys are visited; the
// running max starts at the sink logit and the running sum at 1; softcap is
// c · tanh(s / c) after the scale; the score_mod region is inlined per score
// with (score, i + δ, j, h).
// CHECK-LABEL: func.func @attention_sinks_softcap_score_mod
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: tensor<?x?x2x4xf32>, %[[K:[a-z0-9]+]]: tensor<?x?x1x4xf32>, %{{.+}}: tensor<?x?x1x4xf32>, %[[SINKS:[a-z0-9]+]]: tensor<2xf32>)
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[CAP:.+]] = arith.constant 5.000000e+01 : f32
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[TK:.+]] = tensor.dim %[[K]], %c1
// CHECK: scf.forall (%{{.+}}, %[[H:.+]]) in (%{{.+}}, 2)
// CHECK:     scf.for %[[I:.+]] = {{.+}} iter_args
// CHECK-NOT:   arith.minsi
// CHECK:       %[[QPOS:.+]] = arith.addi %[[I]], %{{.+}} : index
// CHECK:       %[[SINK:.+]] = tensor.extract %[[SINKS]][%[[H]]] : tensor<2xf32>
// CHECK:       scf.for %[[J:.+]] = %c0 to %[[TK]] step %c1 iter_args(%{{.+}} = %[[SINK]], %{{.+}} = %[[ONE]], %{{.+}} = %{{.+}})
// CHECK:         %[[S:.+]] = arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK:         %[[D:.+]] = arith.divf %[[S]], %[[CAP]] : f32
// CHECK:         %[[T:.+]] = math.tanh %[[D]] : f32
// CHECK:         %[[C:.+]] = arith.mulf {{.*}}%[[T]]{{.*}} : f32
// CHECK:         %[[DIST:.+]] = arith.subi %[[QPOS]], %[[J]] : index
// CHECK:         arith.index_cast %[[H]] : index to i64
// CHECK:         %[[MOD:.+]] = arith.subf %[[C]], %{{.+}} : f32
// CHECK:         arith.maximumf %{{.+}}, %[[MOD]] : f32
// CHECK-NOT: hymir.
func.func @attention_sinks_softcap_score_mod(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x1x4xf32>,
                                             %v: tensor<?x?x1x4xf32>, %sinks: tensor<2xf32>)
    -> tensor<?x?x2x4xf32> {
  %o = hymir.attention %q, %k, %v sinks(%sinks : tensor<2xf32>) {scale = 0.25 : f32, softcap = 50.0 : f32}
      : tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32> -> tensor<?x?x2x4xf32>
      score_mod {
  ^bb0(%s: f32, %i: index, %j: index, %h: index):
    %d = arith.subi %i, %j : index
    %hi = arith.index_cast %h : index to i64
    %di = arith.index_cast %d : index to i64
    %p = arith.muli %hi, %di : i64
    %pf = arith.sitofp %p : i64 to f32
    %r = arith.subf %s, %pf : f32
    hymir.yield %r : f32
  }
  return %o : tensor<?x?x2x4xf32>
}

// -----

// Decode with lengths: a forall over (b, h), each owning out[b, h]; keys
// j < len = min(lengths[b], L);
// the query sits at len − 1, so the window starts at max(len − window, 0).
// CHECK-LABEL: func.func @attention_decode_lengths_window
// CHECK-SAME: (%[[Q:[a-z0-9]+]]: tensor<?x4x8xf32>, %[[KC:[a-z0-9]+]]: tensor<?x?x2x8xf32>, %{{.+}}: tensor<?x?x2x6xf32>, %[[LENS:[a-z0-9]+]]: tensor<?xi32>)
// CHECK-DAG: %[[C5:.+]] = arith.constant 5 : index
// CHECK-DAG: %[[L:.+]] = tensor.dim %[[KC]], %c1
// CHECK: scf.forall (%[[BI:.+]], %[[H:.+]]) in (%{{.+}}, 4) shared_outs(%[[SH:.+]] = %{{.+}})
// CHECK:     %[[OWN:.+]] = tensor.extract_slice %[[SH]][%[[BI]], %[[H]], 0] [1, 1, 6] [1, 1, 1] : tensor<?x4x6xf32> to tensor<6xf32>
// CHECK:     %[[RAW:.+]] = tensor.extract %[[LENS]][%[[BI]]] : tensor<?xi32>
// CHECK:     %[[LEN0:.+]] = arith.index_cast %[[RAW]] : i32 to index
// CHECK:     %[[LEN:.+]] = arith.minsi %[[LEN0]], %[[L]] : index
// CHECK:     %[[LO:.+]] = arith.subi %[[LEN]], %[[C5]] : index
// CHECK:     %[[BEGIN:.+]] = arith.maxsi %[[LO]], %c0 : index
// CHECK:     scf.for %[[J:.+]] = %[[BEGIN]] to %[[LEN]] step %c1
// CHECK:       tensor.extract %[[Q]][%[[BI]], %[[H]], %{{.+}}] : tensor<?x4x8xf32>
// CHECK:       tensor.extract %[[KC]][%[[BI]], %[[J]], %{{.+}}, %{{.+}}] : tensor<?x?x2x8xf32>
// CHECK:     scf.for {{.+}} iter_args(%[[O:.+]] = %[[OWN]])
// CHECK:       tensor.insert %{{.+}} into %[[O]][%{{.+}}] : tensor<6xf32>
// CHECK:     tensor.parallel_insert_slice %{{.+}} into %[[SH]][%[[BI]], %[[H]], 0] [1, 1, 6] [1, 1, 1] : tensor<6xf32> into tensor<?x4x6xf32>
func.func @attention_decode_lengths_window(%q: tensor<?x4x8xf32>, %kc: tensor<?x?x2x8xf32>,
                                           %vc: tensor<?x?x2x6xf32>, %lens: tensor<?xi32>)
    -> tensor<?x4x6xf32> {
  %o = hymir.attention_decode %q, %kc, %vc lengths(%lens : tensor<?xi32>) {window = 5 : i64}
      : tensor<?x4x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x6xf32> -> tensor<?x4x6xf32>
  return %o : tensor<?x4x6xf32>
}
