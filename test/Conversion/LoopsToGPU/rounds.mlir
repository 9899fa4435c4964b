// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128}))' \
// RUN:   | FileCheck %s

// A split loop with constant bounds becomes a loop over the thread's rounds
// with a constant trip count (which LLVM unrolls): 300 iterations on 128
// threads are 3 rounds, i = tid + 128 r, guarded by i < 300 since 128 does
// not divide 300.

// CHECK-LABEL: func.func @guarded_rounds
// CHECK: gpu.launch blocks({{.+}}) threads(%[[TID:[^,]+]],
// CHECK:   scf.for %[[R:.+]] = %c0{{[0-9_]*}} to %c3{{[0-9_]*}} step %c1{{[0-9_]*}} {
// CHECK:     %[[OFF:.+]] = arith.muli %[[R]], %c128
// CHECK:     %[[I:.+]] = arith.addi %[[TID]], %[[OFF]]
// CHECK:     %[[IN:.+]] = arith.cmpi ult, %[[I]], %c300
// CHECK:     scf.if %[[IN]] {
// CHECK:       memref.load %{{.+}}[%{{.+}}, %{{.+}}, %[[I]]]
func.func @guarded_rounds(%x: memref<2x4x300xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c300 = arith.constant 300 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    scf.for %t = %c0 to %c4 step %c1 {
      scf.parallel (%k) = (%c0) to (%c300) step (%c1) {
        %v = memref.load %x[%b, %t, %k] : memref<2x4x300xf32>
        %w = arith.mulf %v, %v : f32
        memref.store %w, %x[%b, %t, %k] : memref<2x4x300xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// More than 8 rounds (2048 iterations on 128 threads: 16) stay a strided
// loop: unrolled, each round's loads would hold registers (Gated DeltaNet
// decode's state tile took 64 registers instead of 32, half the resident
// blocks, and ran 30% slower on an H200).

// CHECK-LABEL: func.func @many_rounds
// CHECK: gpu.launch blocks({{.+}}) threads(%[[TID:[^,]+]],
// CHECK:   scf.for %{{.+}} = %[[TID]] to %c2048{{[0-9_]*}} step %c128
func.func @many_rounds(%x: memref<2x4x2048xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c2048 = arith.constant 2048 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    scf.for %t = %c0 to %c4 step %c1 {
      scf.parallel (%k) = (%c0) to (%c2048) step (%c1) {
        %v = memref.load %x[%b, %t, %k] : memref<2x4x2048xf32>
        %w = arith.mulf %v, %v : f32
        memref.store %w, %x[%b, %t, %k] : memref<2x4x2048xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}
