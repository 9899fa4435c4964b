// RUN: hymir-opt %s --hymir-convert-hymir-to-loops -split-input-file | FileCheck %s

// hymir.causal_conv1d becomes scalar loops over (b, t, c) with the W taps
// unrolled; tap j reads x[t − (W − 1 − j)], or the state row W − 1 + (t − …)
// when that time is negative (a branch, so nothing is loaded out of bounds).

// W = 3, bias, state, SiLU: taps 0 and 1 branch between x and the state, tap 2
// reads x[t]; y = a / (1 + e^{−a}); the final state is xx[T + r], read from x
// when T + r − 2 ≥ 0, else from the state.
// CHECK-LABEL: func.func @conv_state_silu
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x?x6xf32>, %[[W:[a-z0-9]+]]: tensor<6x3xf32>, %[[BIAS:[a-z0-9]+]]: tensor<6xf32>, %[[S0:[a-z0-9]+]]: tensor<?x2x6xf32>)
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[T:.+]] = tensor.dim %[[X]], %c1
// CHECK: %[[Y:.+]] = scf.for %[[BI:.+]] = {{.+}} iter_args
// CHECK:   scf.for %[[TI:.+]] = %c0 to %[[T]] step %c1 iter_args
// CHECK:     scf.for %[[C:.+]] = %c0 to %c6 step %c1 iter_args(%[[OUT:.+]] = %{{.+}})
// CHECK:       %[[A0:.+]] = tensor.extract %[[BIAS]][%[[C]]]
// CHECK:       tensor.extract %[[W]][%[[C]], %c0]
// CHECK:       %[[TAU0:.+]] = arith.subi %[[TI]], %[[C2]] : index
// CHECK:       %[[IN0:.+]] = arith.cmpi sge, %[[TAU0]], %c0 : index
// CHECK:       scf.if %[[IN0]] -> (f32) {
// CHECK:         tensor.extract %[[X]][%[[BI]], %[[TAU0]], %[[C]]]
// CHECK:       } else {
// CHECK:         tensor.extract %[[S0]][%[[BI]], %[[TI]], %[[C]]]
// CHECK:       tensor.extract %[[W]][%[[C]], %c1]
// CHECK:       scf.if
// CHECK:       tensor.extract %[[W]][%[[C]], %[[C2]]]
// CHECK:       tensor.extract %[[X]][%[[BI]], %[[TI]], %[[C]]]
// CHECK:       %[[A:.+]] = arith.addf
// CHECK:       %[[NEG:.+]] = arith.negf %[[A]] : f32
// CHECK:       %[[E:.+]] = math.exp %[[NEG]] : f32
// CHECK:       %[[DEN:.+]] = arith.addf %[[E]], %{{.+}} : f32
// CHECK:       %[[Z:.+]] = arith.divf %[[A]], %[[DEN]] : f32
// CHECK:       tensor.insert %[[Z]] into %[[OUT]][%[[BI]], %[[TI]], %[[C]]]
// CHECK: %[[FS:.+]] = scf.for %[[BI:.+]] = {{.+}} iter_args
// CHECK:   scf.for %[[R:.+]] = %c0 to %[[C2]] step %c1 iter_args
// CHECK:     scf.for %[[C:.+]] = %c0 to %c6 step %c1 iter_args(%[[OUT:.+]] = %{{.+}})
// CHECK:       %[[TR:.+]] = arith.addi %[[T]], %[[R]] : index
// CHECK:       %[[TAU:.+]] = arith.subi %[[TR]], %[[C2]] : index
// CHECK:       scf.if
// CHECK:         tensor.extract %[[X]][%[[BI]], %[[TAU]], %[[C]]]
// CHECK:       } else {
// CHECK:         tensor.extract %[[S0]][%[[BI]], %[[TR]], %[[C]]]
// CHECK:       tensor.insert %{{.+}} into %[[OUT]][%[[BI]], %[[R]], %[[C]]]
// CHECK: return %[[Y]], %[[FS]]
func.func @conv_state_silu(%x: tensor<?x?x6xf32>, %w: tensor<6x3xf32>, %b: tensor<6xf32>,
                           %s0: tensor<?x2x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x2x6xf32>) {
  %y, %s = hymir.causal_conv1d %x, %w bias(%b) state(%s0) {activation = #hymir.activation<silu>}
      : tensor<?x?x6xf32>, tensor<6x3xf32>, tensor<6xf32>, tensor<?x2x6xf32>
      -> tensor<?x?x6xf32>, tensor<?x2x6xf32>
  return %y, %s : tensor<?x?x6xf32>, tensor<?x2x6xf32>
}

// -----

// No bias, no state, no activation: taps before t = 0 read zero.
// CHECK-LABEL: func.func @conv_plain
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x?x6xf32>, %{{.+}}: tensor<6x2xf32>)
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.if %{{.+}} -> (f32) {
// CHECK:   tensor.extract %[[X]]
// CHECK: } else {
// CHECK:   scf.yield %[[ZERO]] : f32
// CHECK-NOT: math.exp
// CHECK: return
func.func @conv_plain(%x: tensor<?x?x6xf32>, %w: tensor<6x2xf32>) -> tensor<?x?x6xf32> {
  %y = hymir.causal_conv1d %x, %w : tensor<?x?x6xf32>, tensor<6x2xf32> -> tensor<?x?x6xf32>
  return %y : tensor<?x?x6xf32>
}
