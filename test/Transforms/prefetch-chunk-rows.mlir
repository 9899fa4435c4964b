// RUN: hymir-opt %s --hymir-prefetch-chunk-rows | FileCheck %s

// hymir-prefetch-chunk-rows: every contiguous f32 row view of an outside
// buffer whose offsets move with the step of a prepare loop tagged
// hymir.chunk_prepare = C gets a prefetch of each 64-byte line of the row C
// steps later (and of its last element: an unaligned row spans one line
// more), clamped to the buffer's last row. Without product tile loops after
// it (@prepare), at the top of the prepare loop's body.

// CHECK-LABEL: func.func @prepare
// CHECK-SAME:    (%[[X:[a-z0-9]+]]: memref<?x?x4x40xf32>, %{{[a-z0-9]+}}: memref<4x40xf32>, %[[T0:[a-z0-9]+]]: index, %[[N:[a-z0-9]+]]: index
// CHECK:         scf.for %[[I:.+]] = %c0 to %[[N]] step %c1 {
// CHECK:           %[[AHEAD:.+]] = arith.addi %[[I]], %c32
// CHECK:           %[[T:.+]] = arith.addi %[[T0]], %[[AHEAD]]
// CHECK:           %[[DIM:.+]] = memref.dim %[[X]], %c1
// CHECK:           %[[LAST:.+]] = arith.subi %[[DIM]], %c1
// CHECK:           %[[TC:.+]] = arith.minsi %[[T]], %[[LAST]]
// CHECK:           %[[NEXT:.+]] = memref.subview %[[X]][%{{.+}}, %[[TC]], %{{.+}}, 0] [1, 1, 1, 40] [1, 1, 1, 1]
// A 40-float row spans 3 lines (4 if unaligned): elements 0, 16, 32 and 39.
// CHECK:           memref.prefetch %[[NEXT]][%c0{{.*}}], read, locality<2>, data
// CHECK:           memref.prefetch %[[NEXT]][%c16], read, locality<2>, data
// CHECK:           memref.prefetch %[[NEXT]][%c32{{.*}}], read, locality<2>, data
// CHECK:           memref.prefetch %[[NEXT]][%c39], read, locality<2>, data
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

// With product tile loops after the prepare loop (hymir.chunk_tiles, static
// trip counts 2 and 5): the C = 32 steps are spread over their 7 iterations,
// iteration g prefetching the steps [32 g / 7, 32 (g + 1) / 7) a chunk ahead,
// and the rows that the copy-out loop after them stores (the current chunk's,
// into a buffer from outside) for writing. The prepare loop gets none.

// CHECK-LABEL: func.func @hosted
// CHECK-SAME:    (%[[X:[a-z0-9]+]]: memref<?x?x4x40xf32>, %[[OUT:[a-z0-9]+]]: memref<?x40xf32, strided<[160, 1], offset: ?>>, %[[T0:[a-z0-9]+]]: index
// CHECK:         scf.for
// CHECK-NOT:       memref.prefetch
// CHECK:         } {hymir.chunk_prepare = 32 : i64}
// CHECK:         scf.for %[[I:.+]] = %c0 to %c16 step %c8 {
// CHECK:           %[[G:.+]] = arith.addi %{{.+}}, %c0
// CHECK:           %[[LO:.+]] = arith.muli %[[G]], %c32
// CHECK:           %[[BEGIN:.+]] = arith.divui %[[LO]], %c7
// CHECK:           %[[END:.+]] = arith.divui %{{.+}}, %c7
// CHECK:           scf.for %[[S:.+]] = %[[BEGIN]] to %[[END]]
// CHECK:             %[[AHEAD:.+]] = arith.addi %[[S]], %c32
// CHECK:             %[[T:.+]] = arith.addi %[[T0]], %[[AHEAD]]
// CHECK:             %[[TC:.+]] = arith.minsi %[[T]]
// CHECK:             %[[NEXT:.+]] = memref.subview %[[X]][%{{.+}}, %[[TC]], %{{.+}}, 0]
// CHECK-COUNT-4:     memref.prefetch %[[NEXT]][%{{.+}}], read, locality<2>, data
// CHECK:             %[[TW:.+]] = arith.addi %[[T0]], %[[S]]
// CHECK:             %[[TWC:.+]] = arith.minsi %[[TW]]
// CHECK:             memref.prefetch %[[OUT]][%[[TWC]], %c0], write, locality<3>, data
// CHECK-COUNT-3:     memref.prefetch %[[OUT]][%[[TWC]], %{{.+}}], write, locality<3>, data
// CHECK:           }
// CHECK:         } {hymir.chunk_tiles}
// The second host continues at g = 2.
// CHECK:         scf.for %{{.+}} = %c0 to %c40 step %c8 {
// CHECK:           arith.addi %{{.+}}, %c2
// CHECK:           scf.for
// CHECK-COUNT-4:     memref.prefetch {{.+}} read
// CHECK-COUNT-4:     memref.prefetch {{.+}} write
// CHECK:         } {hymir.chunk_tiles}
// CHECK:         scf.for
// CHECK-NOT:       memref.prefetch
// CHECK:         return
func.func @hosted(%x: memref<?x?x4x40xf32>, %out: memref<?x40xf32, strided<[160, 1], offset: ?>>,
                  %t0: index, %n: index, %b: index, %h: index,
                  %rows: memref<32x40xf32>, %acc: memref<32x40xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c40 = arith.constant 40 : index
  %cst = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %t = arith.addi %t0, %i : index
    %row = memref.subview %x[%b, %t, %h, 0] [1, 1, 1, 40] [1, 1, 1, 1]
        : memref<?x?x4x40xf32> to memref<40xf32, strided<[1], offset: ?>>
    %v = vector.transfer_read %row[%c0], %cst {in_bounds = [true]} : memref<40xf32, strided<[1], offset: ?>>, vector<40xf32>
    vector.transfer_write %v, %rows[%i, %c0] {in_bounds = [true]} : vector<40xf32>, memref<32x40xf32>
  } {hymir.chunk_prepare = 32 : i64}
  scf.for %i = %c0 to %c16 step %c8 {
    %v = vector.transfer_read %rows[%i, %c0], %cst {in_bounds = [true]} : memref<32x40xf32>, vector<40xf32>
    vector.transfer_write %v, %acc[%i, %c0] {in_bounds = [true]} : vector<40xf32>, memref<32x40xf32>
  } {hymir.chunk_tiles}
  scf.for %i = %c0 to %c40 step %c8 {
    %v = vector.transfer_read %rows[%c0, %c0], %cst {in_bounds = [true]} : memref<32x40xf32>, vector<40xf32>
    vector.transfer_write %v, %acc[%c1, %c0] {in_bounds = [true]} : vector<40xf32>, memref<32x40xf32>
  } {hymir.chunk_tiles}
  // The copy-out: rows of a chunk-local buffer into the result.
  scf.for %i = %c0 to %n step %c1 {
    %v = vector.transfer_read %acc[%i, %c0], %cst {in_bounds = [true]} : memref<32x40xf32>, vector<40xf32>
    %t = arith.addi %t0, %i : index
    vector.transfer_write %v, %out[%t, %c0] {in_bounds = [true]} : vector<40xf32>, memref<?x40xf32, strided<[160, 1], offset: ?>>
  }
  return
}
