// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128}))' \
// RUN:   | FileCheck %s

// An element-wise split loop over unit-stride f32 buffers takes 4
// neighbouring iterations a round: 16-byte aligned vector loads and stores,
// vector arithmetic, and a value that is the same in every lane (a load
// indexed by the row only) loaded once and broadcast. Here a 128 x 16 tile
// (decode's state tile) on 128 threads: 2048 / 4 = 512 vector iterations,
// 4 rounds a thread.

// CHECK-LABEL: func.func @state_tile
// CHECK: gpu.launch blocks({{.+}}) threads(%[[TID:[^,]+]],
// CHECK:   scf.for %[[R:.+]] = %c0{{[0-9_]*}} to %c4{{[0-9_]*}} step %c1{{[0-9_]*}} {
// CHECK:     %[[OFF:.+]] = arith.muli %[[R]], %c128
// CHECK:     %[[J:.+]] = arith.addi %[[TID]], %[[OFF]]
// CHECK:     %[[I:.+]] = arith.muli %[[J]], %c4
// CHECK:     %[[COL:.+]] = arith.remui %[[I]], %c16
// CHECK:     %[[ROW:.+]] = arith.divui %[[I]], %c16
// CHECK:     %[[X:.+]] = vector.load %{{.+}}[%{{.+}}, %[[ROW]], %[[COL]]] {alignment = 16 : i64} : memref<2x128x16xf32>, vector<4xf32>
// CHECK:     %[[G:.+]] = memref.load %{{.+}}[%{{.+}}, %[[ROW]]] : memref<2x128xf32>
// CHECK:     %[[GV:.+]] = vector.broadcast %[[G]] : f32 to vector<4xf32>
// CHECK:     %[[P:.+]] = arith.mulf %[[X]], %[[GV]] : vector<4xf32>
// CHECK:     vector.store %[[P]], %{{.+}}[%{{.+}}, %[[ROW]], %[[COL]]] {alignment = 16 : i64} : memref<2x128x16xf32>, vector<4xf32>
func.func @state_tile(%x: memref<2x128x16xf32>, %g: memref<2x128xf32>, %y: memref<2x128x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    scf.for %t = %c0 to %c2 step %c1 {
      scf.parallel (%k, %v) = (%c0, %c0) to (%c128, %c16) step (%c1, %c1) {
        %s = memref.load %x[%b, %k, %v] : memref<2x128x16xf32>
        %d = memref.load %g[%b, %k] : memref<2x128xf32>
        %p = arith.mulf %s, %d : f32
        memref.store %p, %y[%b, %k, %v] : memref<2x128x16xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// What stays one iteration a round: rows of 6 columns (4 neighbours cross a
// row), a view that starts 2 elements into a row (not 16-byte aligned), a
// math function (libdevice calls are scalar), and 100 x 16 iterations,
// which 4 x 128 does not divide.

// CHECK-LABEL: func.func @scalar_rounds
// CHECK-NOT: vector.
// CHECK: return
func.func @scalar_rounds(%x: memref<2x256x6xf32>, %y: memref<2x128x20xf32>,
                         %z: memref<2x128x16xf32>, %w: memref<2x100x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c6 = arith.constant 6 : index
  %c16 = arith.constant 16 : index
  %c100 = arith.constant 100 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    scf.for %t = %c0 to %c2 step %c1 {
      scf.parallel (%k, %v) = (%c0, %c0) to (%c256, %c6) step (%c1, %c1) {
        %s = memref.load %x[%b, %k, %v] : memref<2x256x6xf32>
        %p = arith.mulf %s, %s : f32
        memref.store %p, %x[%b, %k, %v] : memref<2x256x6xf32>
        scf.reduce
      }
      %tile = memref.subview %y[%b, 0, 2] [1, 128, 16] [1, 1, 1]
          : memref<2x128x20xf32> to memref<128x16xf32, strided<[20, 1], offset: ?>>
      scf.parallel (%k, %v) = (%c0, %c0) to (%c128, %c16) step (%c1, %c1) {
        %s = memref.load %tile[%k, %v] : memref<128x16xf32, strided<[20, 1], offset: ?>>
        %p = arith.mulf %s, %s : f32
        memref.store %p, %tile[%k, %v] : memref<128x16xf32, strided<[20, 1], offset: ?>>
        scf.reduce
      }
      scf.parallel (%k, %v) = (%c0, %c0) to (%c128, %c16) step (%c1, %c1) {
        %s = memref.load %z[%b, %k, %v] : memref<2x128x16xf32>
        %e = math.exp %s : f32
        memref.store %e, %z[%b, %k, %v] : memref<2x128x16xf32>
        scf.reduce
      }
      scf.parallel (%k, %v) = (%c0, %c0) to (%c100, %c16) step (%c1, %c1) {
        %s = memref.load %w[%b, %k, %v] : memref<2x100x16xf32>
        %p = arith.mulf %s, %s : f32
        memref.store %p, %w[%b, %k, %v] : memref<2x100x16xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}
