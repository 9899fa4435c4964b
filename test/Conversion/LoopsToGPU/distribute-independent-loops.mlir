// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128}))' \
// RUN:   | FileCheck %s

// A chunk gathered row by row: each step widens its input row into its own
// row of the chunk buffer and stores its gate. The steps are independent,
// so the loop is distributed: one parallel loop over (step, column) per row
// copy and one over steps for the gate, each split over all 128 threads,
// one barrier pair around all of them (no barrier per step).

// CHECK-LABEL: func.func @gather
// CHECK: gpu.launch blocks({{.+}}) threads(%[[TID:[^,]+]],
// CHECK:   %[[ROWS:.+]] = arith.muli %[[N:.+]], %c8
// CHECK:   gpu.barrier
// CHECK:   scf.for %[[I:.+]] = %[[TID]] to %[[ROWS]] step %c128
// CHECK:     arith.remui %[[I]], %c8
// CHECK:     arith.divui %[[I]], %c8
// CHECK:     arith.extf
// CHECK-NOT: gpu.barrier
// CHECK:   scf.for %{{.+}} = %[[TID]] to %[[N]] step %c128
// CHECK:     memref.store
// The chunk's consumer, after the one barrier the gather needs: its 128
// iterations are one round of the 128 threads, no loop.
// CHECK:   gpu.barrier
// CHECK-NOT: scf.for
// CHECK:   arith.remui %[[TID]], %c8
// CHECK:   memref.store
// CHECK:   gpu.barrier
// CHECK-NEXT: gpu.terminator
func.func @gather(%x: memref<2x16x8xbf16>, %g: memref<2x16xf32>, %n: index,
                  %out: memref<2x16x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %chunk = memref.alloc() : memref<16x8xf32>
    %gates = memref.alloc() : memref<16xf32>
    scf.for %t = %c0 to %n step %c1 {
      %row = memref.subview %x[%b, %t, 0] [1, 1, 8] [1, 1, 1]
          : memref<2x16x8xbf16> to memref<8xbf16, strided<[1], offset: ?>>
      %dst = memref.subview %chunk[%t, 0] [1, 8] [1, 1]
          : memref<16x8xf32> to memref<8xf32, strided<[1], offset: ?>>
      scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %row[%j] : memref<8xbf16, strided<[1], offset: ?>>
        %w = arith.extf %v : bf16 to f32
        memref.store %w, %dst[%j] : memref<8xf32, strided<[1], offset: ?>>
        scf.reduce
      }
      %gt = memref.load %g[%b, %t] : memref<2x16xf32>
      memref.store %gt, %gates[%t] : memref<16xf32>
    }
    %o = memref.subview %out[%b, 0, 0] [1, 16, 8] [1, 1, 1]
        : memref<2x16x8xf32> to memref<16x8xf32, strided<[8, 1], offset: ?>>
    scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c8) step (%c1, %c1) {
      %v = memref.load %chunk[%i, %j] : memref<16x8xf32>
      %s = memref.load %gates[%i] : memref<16xf32>
      %p = arith.mulf %v, %s : f32
      memref.store %p, %o[%i, %j] : memref<16x8xf32, strided<[8, 1], offset: ?>>
      scf.reduce
    }
    memref.dealloc %chunk : memref<16x8xf32>
    memref.dealloc %gates : memref<16xf32>
    scf.reduce
  }
  return
}

// -----

// Every step writes the same temporary and reads it back: the iterations
// are not independent, and the loop stays a loop of split loops.

// CHECK-LABEL: func.func @shared_temporary
// CHECK: gpu.launch blocks({{.+}}) threads(%[[TID:[^,]+]],
// CHECK:   scf.for %{{.+}} = %c0{{.*}} to %{{.+}} step %c1
// CHECK:     %[[IN8:.+]] = arith.cmpi ult, %[[TID]], %c8
// CHECK:     scf.if %[[IN8]]
// CHECK:     gpu.barrier
// CHECK:     %[[IN4:.+]] = arith.cmpi ult, %[[TID]], %c4
// CHECK:     scf.if %[[IN4]]
func.func @shared_temporary(%x: memref<2x16x8xf32>, %n: index, %out: memref<2x16x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tmp = memref.alloc() : memref<8xf32>
    scf.for %t = %c0 to %n step %c1 {
      scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %x[%b, %t, %j] : memref<2x16x8xf32>
        memref.store %v, %tmp[%j] : memref<8xf32>
        scf.reduce
      }
      scf.parallel (%j) = (%c0) to (%c4) step (%c1) {
        %k = arith.addi %j, %c4 : index
        %v = memref.load %tmp[%k] : memref<8xf32>
        memref.store %v, %out[%b, %t, %j] : memref<2x16x4xf32>
        scf.reduce
      }
    }
    memref.dealloc %tmp : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A step of Gated DeltaNet's gather in small: the step widens its row into a
// temporary, sums its squares into a scalar temporary (an L2 norm) and
// writes the normalised row. The temporaries are the step's own, so each
// gets a copy per step (the loop runs at most 16 steps: min(n, 16)), and the
// loop is distributed: the widening over (step, column), the sums one step
// per thread, the normalised rows over (step, column), three loops over all
// the threads.

// CHECK-LABEL: func.func @private_temporary
// CHECK: gpu.launch blocks({{.+}}) threads(%[[TID:[^,]+]],
// CHECK-SAME: workgroup(%{{.+}} : memref<16x8xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<16xf32, #gpu.address_space<workgroup>>)
// CHECK:   %[[N:.+]] = arith.minui
// CHECK:   scf.for %{{.+}} = %[[TID]] to %{{.+}} step %c128
// CHECK:     arith.extf
// CHECK:   gpu.barrier
// CHECK:   scf.for %{{.+}} = %[[TID]] to %[[N]] step %c128
// CHECK:     scf.for %{{.+}} = %c0{{.*}} to %c8{{.*}} step %c1{{.*}} iter_args
// CHECK:     math.sqrt
// CHECK:   gpu.barrier
// CHECK:   scf.for %{{.+}} = %[[TID]] to %{{.+}} step %c128
// CHECK:     arith.divf
// CHECK-NOT: scf.for %{{.+}} = %c0{{.*}} to %[[N]]
// CHECK: gpu.terminator
func.func @private_temporary(%x: memref<2x64x8xbf16>, %n: index) -> memref<2x16x8xf32> {
  %out = memref.alloc() : memref<2x16x8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %rows = arith.minui %n, %c16 : index
    %chunk = memref.subview %out[%b, 0, 0] [1, 16, 8] [1, 1, 1]
        : memref<2x16x8xf32> to memref<16x8xf32, strided<[8, 1], offset: ?>>
    scf.for %t = %c0 to %rows step %c1 {
      %tmp = memref.alloc() : memref<8xf32>
      %scalar = memref.alloc() : memref<f32>
      scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %x[%b, %t, %j] : memref<2x64x8xbf16>
        %w = arith.extf %v : bf16 to f32
        memref.store %w, %tmp[%j] : memref<8xf32>
        scf.reduce
      }
      %sum = scf.for %j = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %tmp[%j] : memref<8xf32>
        %sq = arith.mulf %v, %v : f32
        %a = arith.addf %acc, %sq : f32
        scf.yield %a : f32
      }
      %norm = math.sqrt %sum : f32
      memref.store %norm, %scalar[] : memref<f32>
      %row = memref.subview %chunk[%t, 0] [1, 8] [1, 1]
          : memref<16x8xf32, strided<[8, 1], offset: ?>> to memref<8xf32, strided<[1], offset: ?>>
      scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %tmp[%j] : memref<8xf32>
        %nv = memref.load %scalar[] : memref<f32>
        %r = arith.divf %v, %nv : f32
        memref.store %r, %row[%j] : memref<8xf32, strided<[1], offset: ?>>
        scf.reduce
      }
      memref.dealloc %tmp : memref<8xf32>
      memref.dealloc %scalar : memref<f32>
    }
    scf.reduce
  }
  return %out : memref<2x16x8xf32>
}

// -----

// The same step loop with no bound on its trip count: a copy of the
// temporary per step cannot be allocated, so it stays a loop.

// CHECK-LABEL: func.func @unbounded_steps
// CHECK: gpu.launch
// CHECK:   scf.for %{{.+}} = %c0{{.*}} to %{{.+}} step %c1
// CHECK:     gpu.barrier
func.func @unbounded_steps(%x: memref<2x64x8xf32>, %n: index) -> memref<2x64x8xf32> {
  %out = memref.alloc() : memref<2x64x8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    scf.for %t = %c0 to %n step %c1 {
      %tmp = memref.alloc() : memref<8xf32>
      scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %x[%b, %t, %j] : memref<2x64x8xf32>
        memref.store %v, %tmp[%j] : memref<8xf32>
        scf.reduce
      }
      scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
        %k = arith.remui %j, %c4 : index
        %v = memref.load %tmp[%k] : memref<8xf32>
        memref.store %v, %out[%b, %t, %j] : memref<2x64x8xf32>
        scf.reduce
      }
      memref.dealloc %tmp : memref<8xf32>
    }
    scf.reduce
  }
  return %out : memref<2x64x8xf32>
}
