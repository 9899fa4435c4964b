// RUN: hymir-opt %s --hymir-forward-read-only-copies -split-input-file | FileCheck %s

// A decode step after its one-trip time loop is gone: the initial state is
// copied into the result, read once and overwritten by the new state. The
// reader takes the initial state, the last copy writes the result, and the
// first copy is gone.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @decode_step
// CHECK-SAME: (%[[INIT:[^:]+]]: tensor<4x6xf32>, %[[OUT:[^:]+]]: tensor<4x6xf32>, %[[U:[^:]+]]: tensor<4x6xf32>)
// CHECK:      %[[NEW:.+]] = linalg.generic {{.+}} ins(%[[INIT]], %[[U]] : tensor<4x6xf32>, tensor<4x6xf32>)
// CHECK:      %[[R:.+]] = linalg.copy ins(%[[NEW]] : tensor<4x6xf32>) outs(%[[OUT]] : tensor<4x6xf32>)
// CHECK-NOT:  linalg.copy
// CHECK:      return %[[R]]
func.func @decode_step(%init: tensor<4x6xf32>, %out: tensor<4x6xf32>, %u: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %s = linalg.copy ins(%init : tensor<4x6xf32>) outs(%out : tensor<4x6xf32>) -> tensor<4x6xf32>
  %e = tensor.empty() : tensor<4x6xf32>
  %sn = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %u : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.addf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %r = linalg.copy ins(%sn : tensor<4x6xf32>) outs(%s : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}

// -----

// An element-wise generic that ignores its init overwrites it whole, so it
// takes the copy's destination as well.
#id1 = affine_map<(d0) -> (d0)>

// CHECK-LABEL: func.func @generic_overwrites
// CHECK-SAME: (%[[INIT:[^:]+]]: tensor<8xf32>, %[[OUT:[^:]+]]: tensor<8xf32>)
// CHECK-NOT:  linalg.copy
// CHECK:      linalg.generic {{.+}} ins(%[[INIT]] : tensor<8xf32>) outs(%[[OUT]] : tensor<8xf32>)
func.func @generic_overwrites(%init: tensor<8xf32>, %out: tensor<8xf32>) -> tensor<8xf32> {
  %s = linalg.copy ins(%init : tensor<8xf32>) outs(%out : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%s : tensor<8xf32>) outs(%s : tensor<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// Copies that stay: one carried into a time loop (T > 1: the loop updates
// the copy in place), one returned, one whose overwriting generic reads its
// init (an accumulation), and one reduced into.
#id2 = affine_map<(d0) -> (d0)>
#row = affine_map<(d0, d1) -> (d0, d1)>
#rowsum = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: linalg.copy ins(%{{.+}}) outs(%{{.+}})
func.func @kept(%init: tensor<8xf32>, %out: tensor<8xf32>, %m: tensor<8x8xf32>, %n: index)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = linalg.copy ins(%init : tensor<8xf32>) outs(%out : tensor<8xf32>) -> tensor<8xf32>
  %l = scf.for %t = %c0 to %n step %c1 iter_args(%s = %a) -> (tensor<8xf32>) {
    scf.yield %s : tensor<8xf32>
  }
  %b = linalg.copy ins(%init : tensor<8xf32>) outs(%out : tensor<8xf32>) -> tensor<8xf32>
  %c = linalg.copy ins(%init : tensor<8xf32>) outs(%out : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel"]}
      ins(%init : tensor<8xf32>) outs(%c : tensor<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %d = linalg.copy ins(%init : tensor<8xf32>) outs(%out : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [#row, #rowsum], iterator_types = ["parallel", "reduction"]}
      ins(%m : tensor<8x8xf32>) outs(%d : tensor<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %l, %b, %sum, %r : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}
