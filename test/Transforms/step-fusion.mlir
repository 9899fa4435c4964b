// RUN: hymir-opt %s --hymir-fuse-elementwise --hymir-fold-state-copies -split-input-file | FileCheck %s

// Two tensor-level steps of the CPU pipeline on a scan step as the fallback
// lowering leaves it (S' = a·S + k ⊗ v, o = S'ᵀq, S' copied into the carried
// state):
//  * hymir-fuse-elementwise fuses the single-use element-wise producers (the
//    decay and the outer product) into the add: one loop nest over S;
//  * hymir-fold-state-copies makes that generic write the carried state
//    itself (its init becomes the iter_arg) and drops the copy, so that
//    bufferization can update the state in place.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @step
// CHECK: scf.for %{{.+}} iter_args(%[[S:.+]] = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<4x6xf32>, tensor<6xf32>)
// CHECK:   %[[NEW:.+]] = linalg.generic {{.+}} ins(%[[S]], %{{.+}}, %{{.+}} : tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>) outs(%[[S]] : tensor<4x6xf32>)
// CHECK:     arith.mulf
// CHECK:     arith.mulf
// CHECK:     arith.addf
// CHECK-NOT: linalg.generic
// CHECK:   linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[NEW]], %{{.+}} : tensor<4x6xf32>, tensor<4xf32>)
// CHECK-NOT: linalg.copy
// CHECK:   scf.yield %[[NEW]], %{{.+}} : tensor<4x6xf32>, tensor<6xf32>
func.func @step(%s0: tensor<4x6xf32>, %k: tensor<4xf32>, %v: tensor<6xf32>, %q: tensor<4xf32>,
                %a: f32, %n: index) -> (tensor<4x6xf32>, tensor<6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %o0 = tensor.empty() : tensor<6xf32>
  %r:2 = scf.for %t = %c0 to %n step %c1 iter_args(%s = %s0, %o = %o0) -> (tensor<4x6xf32>, tensor<6xf32>) {
    %e1 = tensor.empty() : tensor<4x6xf32>
    %sd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%s : tensor<4x6xf32>) outs(%e1 : tensor<4x6xf32>) {
    ^bb0(%x: f32, %y: f32):
      %m = arith.mulf %x, %a : f32
      linalg.yield %m : f32
    } -> tensor<4x6xf32>
    %e2 = tensor.empty() : tensor<4x6xf32>
    %kv = linalg.generic {indexing_maps = [#row, #col, #id], iterator_types = ["parallel", "parallel"]}
        ins(%k, %v : tensor<4xf32>, tensor<6xf32>) outs(%e2 : tensor<4x6xf32>) {
    ^bb0(%x: f32, %y: f32, %z: f32):
      %m = arith.mulf %x, %y : f32
      linalg.yield %m : f32
    } -> tensor<4x6xf32>
    %sn = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%sd, %kv : tensor<4x6xf32>, tensor<4x6xf32>) outs(%sd : tensor<4x6xf32>) {
    ^bb0(%x: f32, %y: f32, %z: f32):
      %m = arith.addf %x, %y : f32
      linalg.yield %m : f32
    } -> tensor<4x6xf32>
    %f = linalg.fill ins(%zero : f32) outs(%o : tensor<6xf32>) -> tensor<6xf32>
    %ot = linalg.generic {indexing_maps = [#id, #row, #col], iterator_types = ["reduction", "parallel"]}
        ins(%sn, %q : tensor<4x6xf32>, tensor<4xf32>) outs(%f : tensor<6xf32>) {
    ^bb0(%x: f32, %y: f32, %z: f32):
      %m = arith.mulf %x, %y : f32
      %p = arith.addf %z, %m : f32
      linalg.yield %p : f32
    } -> tensor<6xf32>
    %next = linalg.copy ins(%sn : tensor<4x6xf32>) outs(%s : tensor<4x6xf32>) -> tensor<4x6xf32>
    scf.yield %next, %ot : tensor<4x6xf32>, tensor<6xf32>
  }
  return %r#0, %r#1 : tensor<4x6xf32>, tensor<6xf32>
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
