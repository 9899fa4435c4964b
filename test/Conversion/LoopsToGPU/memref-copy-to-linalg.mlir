// RUN: hymir-opt %s --hymir-memref-copy-to-linalg | FileCheck %s

// Copies between buffers become linalg.copy (which becomes a loop, then a
// kernel) instead of a call of the host's memrefCopy; strided and rank-0
// copies included.

// CHECK-LABEL: func.func @copies
// CHECK-SAME: (%[[A:.+]]: memref<20xf32>, %[[B:.+]]: memref<4x20xf32>, %[[S:.+]]: memref<f32>, %[[D:.+]]: memref<f32>)
// CHECK: %[[V:.+]] = memref.subview %[[B]][1, 0] [1, 20] [1, 1]
// CHECK: linalg.copy ins(%[[A]] : memref<20xf32>) outs(%[[V]] : memref<20xf32, strided<[1], offset: 20>>)
// CHECK: linalg.copy ins(%[[S]] : memref<f32>) outs(%[[D]] : memref<f32>)
// CHECK-NOT: memref.copy
func.func @copies(%a: memref<20xf32>, %b: memref<4x20xf32>, %s: memref<f32>, %d: memref<f32>) {
  %v = memref.subview %b[1, 0] [1, 20] [1, 1] : memref<4x20xf32> to memref<20xf32, strided<[1], offset: 20>>
  memref.copy %a, %v : memref<20xf32> to memref<20xf32, strided<[1], offset: 20>>
  memref.copy %s, %d : memref<f32> to memref<f32>
  return
}

// A buffer copied onto itself (what bufferization leaves of an insert into
// the tensor the slice came from) is erased, not turned into a kernel.

// CHECK-LABEL: func.func @self_copy
// CHECK-NOT: linalg.copy
// CHECK-NOT: memref.copy
// CHECK: return
func.func @self_copy(%b: memref<4x20xf32>) {
  %v = memref.subview %b[1, 0] [1, 20] [1, 1] : memref<4x20xf32> to memref<20xf32, strided<[1], offset: 20>>
  memref.copy %v, %v : memref<20xf32, strided<[1], offset: 20>> to memref<20xf32, strided<[1], offset: 20>>
  return
}
