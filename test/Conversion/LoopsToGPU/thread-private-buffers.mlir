// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=64}),canonicalize)' \
// RUN:   | FileCheck %s
// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=64 thread-private=false}))' \
// RUN:   | FileCheck %s --check-prefix=SHARED

// Shared temporaries that every thread touches only its own elements of
// become a stack array per thread (hymir-parallel-loops-to-gpu
// thread-private; lib/Conversion/LoopsToGPU/ThreadOwnedBuffers.cpp).

// Written and read by element-wise loops of the same shape: thread t owns
// elements t + 64 r of the 64 x 4 tile, r < 4, at slot r. The rounds are
// unrolled, the tile is a memref<4xf32> per thread, and the barrier between
// the two loops goes.

// CHECK-LABEL: func.func @same_distribution
// CHECK: gpu.launch
// CHECK: %[[STACK:.+]] = memref.alloca() : memref<4xf32>
// CHECK-NOT: memory_space_cast
// CHECK-NOT: scf.for
// CHECK-COUNT-4: memref.store %{{.+}}, %[[STACK]][%{{.+}}] : memref<4xf32>
// CHECK-NOT: gpu.barrier
// CHECK-COUNT-4: memref.load %[[STACK]][%{{.+}}] : memref<4xf32>
// CHECK: gpu.barrier
// CHECK-NEXT: gpu.terminator
// SHARED-LABEL: func.func @same_distribution
// SHARED-NOT: memref.alloca
// SHARED: memref.store %{{.+}}, %memspacecast

func.func @same_distribution(%s: memref<2x64x4xf32>, %g: memref<2xf32>) -> memref<2x64x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %out = memref.alloc() : memref<2x64x4xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tile = memref.alloc() : memref<64x4xf32>
    %gb = memref.load %g[%b] : memref<2xf32>
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c4) step (%c1, %c1) {
      %v = memref.load %s[%b, %i, %j] : memref<2x64x4xf32>
      %w = arith.mulf %v, %gb : f32
      memref.store %w, %tile[%i, %j] : memref<64x4xf32>
      scf.reduce
    }
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c4) step (%c1, %c1) {
      %v = memref.load %tile[%i, %j] : memref<64x4xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %out[%b, %i, %j] : memref<2x64x4xf32>
      scf.reduce
    }
    scf.reduce
  }
  return %out : memref<2x64x4xf32>
}

// -----

// Read transposed: thread t reads elements its neighbours wrote. It stays
// in shared memory, with the barrier.

// CHECK-LABEL: func.func @transposed_read
// CHECK-NOT: memref.alloca
// CHECK: memref.store %{{.+}}, %memspacecast
// CHECK: gpu.barrier
// CHECK: memref.load %memspacecast

func.func @transposed_read(%s: memref<2x64x4xf32>) -> memref<2x4x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %out = memref.alloc() : memref<2x4x64xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tile = memref.alloc() : memref<64x4xf32>
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c4) step (%c1, %c1) {
      %v = memref.load %s[%b, %i, %j] : memref<2x64x4xf32>
      memref.store %v, %tile[%i, %j] : memref<64x4xf32>
      scf.reduce
    }
    scf.parallel (%j, %i) = (%c0, %c0) to (%c4, %c64) step (%c1, %c1) {
      %v = memref.load %tile[%i, %j] : memref<64x4xf32>
      memref.store %v, %out[%b, %j, %i] : memref<2x4x64xf32>
      scf.reduce
    }
    scf.reduce
  }
  return %out : memref<2x4x64xf32>
}

// -----

// 64 elements a thread: more than the 32 registers a thread may keep.

// CHECK-LABEL: func.func @too_many_slots
// CHECK-NOT: memref.alloca
// CHECK: scf.for %{{.+}} = %{{.+}} to %c4096 step %c64
// CHECK: memref.store %{{.+}}, %memspacecast

func.func @too_many_slots(%s: memref<2x64x64xf32>) -> memref<2x64x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %out = memref.alloc() : memref<2x64x64xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tile = memref.alloc() : memref<64x64xf32>
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%c1, %c1) {
      %v = memref.load %s[%b, %i, %j] : memref<2x64x64xf32>
      memref.store %v, %tile[%i, %j] : memref<64x64xf32>
      scf.reduce
    }
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%c1, %c1) {
      %v = memref.load %tile[%i, %j] : memref<64x64xf32>
      memref.store %v, %out[%b, %i, %j] : memref<2x64x64xf32>
      scf.reduce
    }
    scf.reduce
  }
  return %out : memref<2x64x64xf32>
}

// -----

// 16 elements, 64 threads: threads below 16 own one each (a guard, not a
// round loop, in the unrolled form).

// CHECK-LABEL: func.func @fewer_elements_than_threads
// CHECK: %[[STACK:.+]] = memref.alloca() : memref<1xf32>
// CHECK: scf.if
// CHECK: memref.store %{{.+}}, %[[STACK]][%c0] : memref<1xf32>
// CHECK-NOT: gpu.barrier
// CHECK: scf.if
// CHECK: memref.load %[[STACK]][%c0] : memref<1xf32>

func.func @fewer_elements_than_threads(%s: memref<2x16xf32>) -> memref<2x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %out = memref.alloc() : memref<2x16xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tmp = memref.alloc() : memref<16xf32>
    scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
      %v = memref.load %s[%b, %i] : memref<2x16xf32>
      %e = math.exp %v : f32
      memref.store %e, %tmp[%i] : memref<16xf32>
      scf.reduce
    }
    scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
      %v = memref.load %tmp[%i] : memref<16xf32>
      memref.store %v, %out[%b, %i] : memref<2x16xf32>
      scf.reduce
    }
    scf.reduce
  }
  return %out : memref<2x16xf32>
}
