// RUN: hymir-opt %s --hymir-prefetch-chunk-rows | FileCheck %s

// hymir-prefetch-chunk-rows: in a prepare loop tagged hymir.chunk_prepare = C,
// every contiguous f32 row view of an outside buffer whose offsets move with
// the step gets a prefetch of each 64-byte line of the row C steps later,
// clamped to the buffer's last row.

// CHECK-LABEL: func.func @prepare
// CHECK-SAME:    (%[[X:[a-z0-9]+]]: memref<?x?x4x40xf32>, %{{[a-z0-9]+}}: memref<4x40xf32>, %[[T0:[a-z0-9]+]]: index, %[[N:[a-z0-9]+]]: index
// CHECK:         scf.for %[[I:.+]] = %c0 to %[[N]] step %c1 {
// CHECK:           %[[AHEAD:.+]] = arith.addi %[[I]], %c32
// CHECK:           %[[T:.+]] = arith.addi %[[T0]], %[[AHEAD]]
// CHECK:           %[[DIM:.+]] = memref.dim %[[X]], %c1
// CHECK:           %[[LAST:.+]] = arith.subi %[[DIM]], %c1
// CHECK:           %[[TC:.+]] = arith.minsi %[[T]], %[[LAST]]
// CHECK:           %[[NEXT:.+]] = memref.subview %[[X]][%{{.+}}, %[[TC]], %{{.+}}, 0] [1, 1, 1, 40] [1, 1, 1, 1]
// A 40-float row spans 3 lines: elements 0, 16 and 32.
// CHECK:           memref.prefetch %[[NEXT]][%c0{{.*}}], read, locality<2>, data
// CHECK:           memref.prefetch %[[NEXT]][%c16], read, locality<2>, data
// CHECK:           memref.prefetch %[[NEXT]][%c32{{.*}}], read, locality<2>, data
// CHECK-NOT:       memref.prefetch
// CHECK:           memref.subview %[[X]]
// CHECK:         } {hymir.chunk_prepare = 32 : i64}
// An untagged loop gets nothing.
// CHECK:         scf.for
// CHECK-NOT:     memref.prefetch
// CHECK:         return
func.func @prepare(%x: memref<?x?x4x40xf32>, %w: memref<4x40xf32>,
                   %t0: index, %n: index, %b: index, %h: index,
                   %rows: memref<32x40xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %t = arith.addi %t0, %i : index
    %row = memref.subview %x[%b, %t, %h, 0] [1, 1, 1, 40] [1, 1, 1, 1]
        : memref<?x?x4x40xf32> to memref<40xf32, strided<[1], offset: ?>>
    // A row that does not move with the step: no prefetch.
    %fixed = memref.subview %w[%h, 0] [1, 40] [1, 1]
        : memref<4x40xf32> to memref<40xf32, strided<[1], offset: ?>>
    %v = memref.load %row[%c0] : memref<40xf32, strided<[1], offset: ?>>
    %u = memref.load %fixed[%c0] : memref<40xf32, strided<[1], offset: ?>>
    %s = arith.addf %v, %u : f32
    memref.store %s, %rows[%i, %c0] : memref<32x40xf32>
  } {hymir.chunk_prepare = 32 : i64}
  scf.for %i = %c0 to %n step %c1 {
    %t = arith.addi %t0, %i : index
    %row = memref.subview %x[%b, %t, %h, 0] [1, 1, 1, 40] [1, 1, 1, 1]
        : memref<?x?x4x40xf32> to memref<40xf32, strided<[1], offset: ?>>
    %v = memref.load %row[%c0] : memref<40xf32, strided<[1], offset: ?>>
    memref.store %v, %rows[%i, %c0] : memref<32x40xf32>
  }
  return
}
