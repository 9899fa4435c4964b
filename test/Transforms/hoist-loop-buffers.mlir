// RUN: hymir-opt %s --hymir-hoist-loop-buffers -split-input-file | FileCheck %s

// The step of the CPU pipeline that keeps scan steps from calling malloc: a
// static-size buffer that an scf.for body allocates and frees at its end is
// allocated before the loop and freed after it, through nested scf.for loops,
// but never out of the scf.forall whose iterations may run on other threads.

// CHECK-LABEL: func.func @per_step_buffers
// CHECK: scf.forall
// CHECK-NEXT:   %[[A:.+]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:   %[[S:.+]] = memref.alloc() : memref<4x4xf32>
// CHECK-NEXT:   scf.for
// CHECK-NOT:      memref.alloc
// CHECK:          scf.for
// CHECK-NOT:        memref.alloc
// CHECK:            linalg.fill ins(%{{.+}} : f32) outs(%[[S]] : memref<4x4xf32>)
// CHECK-NOT:        memref.dealloc
// CHECK:          linalg.fill ins(%{{.+}} : f32) outs(%[[A]] : memref<4xf32>)
// CHECK-NOT:      memref.dealloc
// CHECK:        }
// CHECK-NEXT:   memref.dealloc %[[S]] : memref<4x4xf32>
// CHECK-NEXT:   memref.dealloc %[[A]] : memref<4xf32>
func.func @per_step_buffers(%n: index, %out: memref<?x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (%n) {
    scf.for %t = %c0 to %n step %c1 {
      %a = memref.alloc() : memref<4xf32>
      scf.for %u = %c0 to %n step %c1 {
        %s = memref.alloc() : memref<4x4xf32>
        linalg.fill ins(%cst : f32) outs(%s : memref<4x4xf32>)
        memref.dealloc %s : memref<4x4xf32>
      }
      linalg.fill ins(%cst : f32) outs(%a : memref<4xf32>)
      %row = memref.subview %out[%b, %t, 0] [1, 1, 4] [1, 1, 1]
          : memref<?x?x4xf32> to memref<4xf32, strided<[1], offset: ?>>
      memref.copy %a, %row : memref<4xf32> to memref<4xf32, strided<[1], offset: ?>>
      memref.dealloc %a : memref<4xf32>
    }
  }
  return
}

// -----

// Left in place: a dynamic size, a conditional free, a buffer that leaves
// the iteration through a view, and one outside any scf.for.
// CHECK-LABEL: func.func @kept
// CHECK: memref.alloc() : memref<2xf32>
// CHECK: scf.for
// CHECK:   memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK:   memref.alloc() : memref<3xf32>
// CHECK:   memref.alloc() : memref<5xf32>
// CHECK:   memref.subview
// CHECK:   scf.yield
func.func @kept(%n: index, %c: i1, %init: memref<1xf32, strided<[1], offset: ?>>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %top = memref.alloc() : memref<2xf32>
  %r = scf.for %t = %c0 to %n step %c1 iter_args(%it = %init) -> (memref<1xf32, strided<[1], offset: ?>>) {
    %d = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %d : memref<?xf32>
    %e = memref.alloc() : memref<3xf32>
    scf.if %c {
      memref.dealloc %e : memref<3xf32>
    }
    %f = memref.alloc() : memref<5xf32>
    %i = arith.remui %t, %c1 : index
    %v = memref.subview %f[%i] [1] [1] : memref<5xf32> to memref<1xf32, strided<[1], offset: ?>>
    scf.yield %v : memref<1xf32, strided<[1], offset: ?>>
  }
  memref.dealloc %top : memref<2xf32>
  return
}
