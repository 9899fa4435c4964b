// RUN: hymir-opt %s --hymir-fold-state-copies -split-input-file | FileCheck %s

// hymir-fold-state-copies alone: the element-wise producer of a loop-carried
// state writes into the iter_arg and the copy goes away.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @folded
// CHECK: scf.for %{{.+}} iter_args(%[[S:.+]] = %{{.+}}) -> (tensor<4x6xf32>)
// CHECK:   %[[NEW:.+]] = linalg.generic {{.+}} ins(%[[S]], %{{.+}} : tensor<4x6xf32>, tensor<4x6xf32>) outs(%[[S]] : tensor<4x6xf32>)
// CHECK-NOT: linalg.copy
// CHECK:   scf.yield %[[NEW]] : tensor<4x6xf32>
func.func @folded(%s0: tensor<4x6xf32>, %u: tensor<4x6xf32>, %n: index) -> tensor<4x6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %t = %c0 to %n step %c1 iter_args(%s = %s0) -> (tensor<4x6xf32>) {
    %e = tensor.empty() : tensor<4x6xf32>
    %sn = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%s, %u : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
    ^bb0(%x: f32, %y: f32, %z: f32):
      %m = arith.addf %x, %y : f32
      linalg.yield %m : f32
    } -> tensor<4x6xf32>
    %next = linalg.copy ins(%sn : tensor<4x6xf32>) outs(%s : tensor<4x6xf32>) -> tensor<4x6xf32>
    scf.yield %next : tensor<4x6xf32>
  }
  return %r : tensor<4x6xf32>
}

// -----

// A copy that is not of a loop's carried state, or whose producer reads its
// own init, stays.
// CHECK-LABEL: func.func @kept
// CHECK: linalg.copy
// CHECK: linalg.copy
func.func @kept(%x: tensor<4xf32>, %d: tensor<4xf32>, %n: index) -> (tensor<4xf32>, tensor<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = linalg.copy ins(%x : tensor<4xf32>) outs(%d : tensor<4xf32>) -> tensor<4xf32>
  %r = scf.for %t = %c0 to %n step %c1 iter_args(%s = %x) -> (tensor<4xf32>) {
    %acc = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%s : tensor<4xf32>) outs(%d : tensor<4xf32>) {
    ^bb0(%a: f32, %b: f32):
      %m = arith.addf %a, %b : f32
      linalg.yield %m : f32
    } -> tensor<4xf32>
    %next = linalg.copy ins(%acc : tensor<4xf32>) outs(%s : tensor<4xf32>) -> tensor<4xf32>
    scf.yield %next : tensor<4xf32>
  }
  return %c, %r : tensor<4xf32>, tensor<4xf32>
}
