// RUN: hymir-opt %s --hymir-copy-into-producers -split-input-file | FileCheck %s
// RUN: hymir-opt %s --hymir-copy-into-producers=in-place -split-input-file | FileCheck %s --check-prefix=INPLACE

// A decode step's new state: computed into a temporary that a later read
// needs, then copied into the forall's result slice. The producer writes
// both, and the copy is gone.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @decode_state
// CHECK: scf.forall {{.+}} shared_outs(%[[OUT:[^ ]+]] = %{{[^,]+}},
// CHECK:   %[[SLICE:.+]] = tensor.extract_slice %[[OUT]]
// CHECK:   %[[NEW:.+]]:2 = linalg.generic {{.+}} outs(%{{.+}}, %[[SLICE]] : tensor<4x6xf32>, tensor<4x6xf32>)
// CHECK:     linalg.yield %[[V:.+]], %[[V]] : f32, f32
// CHECK:   linalg.generic {{.+}} ins(%[[NEW]]#0 : tensor<4x6xf32>)
// CHECK-NOT: linalg.copy
// CHECK:   tensor.parallel_insert_slice %[[NEW]]#1 into %[[OUT]]

// With in-place (the CPU), the producer's empty init becomes the slice: one
// output, read by the sum and inserted in place.
// INPLACE-LABEL: func.func @decode_state
// INPLACE: scf.forall {{.+}} shared_outs(%[[OUT:[^ ]+]] = %{{[^,]+}},
// INPLACE:   %[[SLICE:.+]] = tensor.extract_slice %[[OUT]]
// INPLACE-NOT: tensor.empty
// INPLACE:   %[[NEW:.+]] = linalg.generic {{.+}} outs(%[[SLICE]] : tensor<4x6xf32>)
// INPLACE:   linalg.generic {{.+}} ins(%[[NEW]] : tensor<4x6xf32>)
// INPLACE-NOT: linalg.copy
// INPLACE:   tensor.parallel_insert_slice %[[NEW]] into %[[OUT]]
func.func @decode_state(%s: tensor<2x4x6xf32>, %out: tensor<2x4x6xf32>, %sums: tensor<2x4xf32>)
    -> (tensor<2x4x6xf32>, tensor<2x4xf32>) {
  %r:2 = scf.forall (%b) in (2) shared_outs(%o = %out, %t = %sums) -> (tensor<2x4x6xf32>, tensor<2x4xf32>) {
    %slice = tensor.extract_slice %o[%b, 0, 0] [1, 4, 6] [1, 1, 1] : tensor<2x4x6xf32> to tensor<4x6xf32>
    %in = tensor.extract_slice %s[%b, 0, 0] [1, 4, 6] [1, 1, 1] : tensor<2x4x6xf32> to tensor<4x6xf32>
    %acc = tensor.extract_slice %t[%b, 0] [1, 4] [1, 1] : tensor<2x4xf32> to tensor<4xf32>
    %e = tensor.empty() : tensor<4x6xf32>
    %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%in : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
    ^bb0(%x: f32, %y: f32):
      %m = arith.mulf %x, %x : f32
      linalg.yield %m : f32
    } -> tensor<4x6xf32>
    %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
        ins(%n : tensor<4x6xf32>) outs(%acc : tensor<4xf32>) {
    ^bb0(%x: f32, %y: f32):
      %m = arith.addf %x, %y : f32
      linalg.yield %m : f32
    } -> tensor<4xf32>
    %c = linalg.copy ins(%n : tensor<4x6xf32>) outs(%slice : tensor<4x6xf32>) -> tensor<4x6xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %c into %o[%b, 0, 0] [1, 4, 6] [1, 1, 1] : tensor<4x6xf32> into tensor<2x4x6xf32>
      tensor.parallel_insert_slice %sum into %t[%b, 0] [1, 4] [1, 1] : tensor<4xf32> into tensor<2x4xf32>
    }
  }
  return %r#0, %r#1 : tensor<2x4x6xf32>, tensor<2x4xf32>
}

// -----

// Copies that stay: into a time loop's carried state (the generic reads
// it), from a producer that reduces, and into a result slice taken after
// the producer (it cannot become the producer's init).

#id1 = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: linalg.copy
func.func @kept(%x: tensor<2x8xf32>, %m: tensor<2x8x8xf32>, %out: tensor<2x8xf32>, %n: index) -> tensor<2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.forall (%b) in (2) shared_outs(%o = %out) -> (tensor<2x8xf32>) {
    %row = tensor.extract_slice %x[%b, 0] [1, 8] [1, 1] : tensor<2x8xf32> to tensor<8xf32>
    %slice = tensor.extract_slice %o[%b, 0] [1, 8] [1, 1] : tensor<2x8xf32> to tensor<8xf32>
    %l = scf.for %t = %c0 to %n step %c1 iter_args(%s = %slice) -> (tensor<8xf32>) {
      %e = tensor.empty() : tensor<8xf32>
      %next = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
          ins(%s : tensor<8xf32>) outs(%e : tensor<8xf32>) {
      ^bb0(%a: f32, %z: f32):
        %v = arith.mulf %a, %a : f32
        linalg.yield %v : f32
      } -> tensor<8xf32>
      %c = linalg.copy ins(%next : tensor<8xf32>) outs(%s : tensor<8xf32>) -> tensor<8xf32>
      scf.yield %c : tensor<8xf32>
    }
    %mat = tensor.extract_slice %m[%b, 0, 0] [1, 8, 8] [1, 1, 1] : tensor<2x8x8xf32> to tensor<8x8xf32>
    %zero = tensor.empty() : tensor<8xf32>
    %red = linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
        ins(%mat : tensor<8x8xf32>) outs(%zero : tensor<8xf32>) {
    ^bb0(%a: f32, %z: f32):
      %v = arith.addf %a, %z : f32
      linalg.yield %v : f32
    } -> tensor<8xf32>
    %c2 = linalg.copy ins(%red : tensor<8xf32>) outs(%l : tensor<8xf32>) -> tensor<8xf32>
    %e3 = tensor.empty() : tensor<8xf32>
    %sq = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
        ins(%c2 : tensor<8xf32>) outs(%e3 : tensor<8xf32>) {
    ^bb0(%a: f32, %z: f32):
      %v = arith.mulf %a, %a : f32
      linalg.yield %v : f32
    } -> tensor<8xf32>
    %late = tensor.extract_slice %o[%b, 0] [1, 8] [1, 1] : tensor<2x8xf32> to tensor<8xf32>
    %c3 = linalg.copy ins(%sq : tensor<8xf32>) outs(%late : tensor<8xf32>) -> tensor<8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %c3 into %o[%b, 0] [1, 8] [1, 1] : tensor<8xf32> into tensor<2x8xf32>
    }
  }
  return %r : tensor<2x8xf32>
}
