// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=64}),canonicalize)' \
// RUN:   | FileCheck %s

// Loads at the top level of a nest kernel from buffers nothing in the
// kernel writes move to its start (hymir-parallel-loops-to-gpu): barriers
// do not order them, and issued first, their latency overlaps the phases
// before their use.

// The state %s is read after a phase that goes through shared memory: its
// load moves above that phase's barriers.

// CHECK-LABEL: func.func @read_only_state
// CHECK: gpu.launch
// CHECK-NEXT: memref.load %arg0
// CHECK-NEXT: memref.load %arg1
// CHECK: gpu.barrier
// CHECK: gpu.barrier
// CHECK-NOT: memref.load %arg1
// CHECK: gpu.terminator

func.func @read_only_state(%x: memref<2x64xf32>, %s: memref<2x64xf32>) -> memref<2x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %out = memref.alloc() : memref<2x64xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tmp = memref.alloc() : memref<64xf32>
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
      %v = memref.load %x[%b, %i] : memref<2x64xf32>
      memref.store %v, %tmp[%i] : memref<64xf32>
      scf.reduce
    }
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
      %j = arith.subi %c64, %c1 : index
      %r = arith.subi %j, %i : index
      %v = memref.load %tmp[%r] : memref<64xf32>
      %w = memref.load %s[%b, %i] : memref<2x64xf32>
      %y = arith.mulf %v, %w : f32
      memref.store %y, %out[%b, %i] : memref<2x64xf32>
      scf.reduce
    }
    scf.reduce
  }
  return %out : memref<2x64xf32>
}

// -----

// %s is written in the kernel (and %x, an argument too, may be the same
// memory): neither load moves.

// CHECK-LABEL: func.func @written_in_kernel
// CHECK: gpu.barrier
// CHECK-NEXT: memref.load %arg0
// CHECK: gpu.barrier
// CHECK: memref.load %arg1

func.func @written_in_kernel(%x: memref<2x64xf32>, %s: memref<2x64xf32>) -> memref<2x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %out = memref.alloc() : memref<2x64xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tmp = memref.alloc() : memref<64xf32>
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
      %v = memref.load %x[%b, %i] : memref<2x64xf32>
      memref.store %v, %tmp[%i] : memref<64xf32>
      memref.store %v, %s[%b, %i] : memref<2x64xf32>
      scf.reduce
    }
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
      %j = arith.subi %c64, %c1 : index
      %r = arith.subi %j, %i : index
      %v = memref.load %tmp[%r] : memref<64xf32>
      %w = memref.load %s[%b, %r] : memref<2x64xf32>
      %y = arith.mulf %v, %w : f32
      memref.store %y, %out[%b, %i] : memref<2x64xf32>
      scf.reduce
    }
    scf.reduce
  }
  return %out : memref<2x64xf32>
}
