// RUN: hymir-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{threads-per-block=128 thread-private=false}))' \
// RUN:   | FileCheck %s

// Shared temporaries stay shared here, so that the barrier rules show;
// thread-private-buffers.mlir tests their move to registers.

// An element-wise nest: one thread per iteration, 128 per block, the linear
// index (guarded by the trip count 2*37*4 = 296 -> 3 blocks) delinearized
// into the dimensions.

// CHECK-LABEL: func.func @elementwise
// CHECK: gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c3, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) threads(%[[TX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c128,
// CHECK:   %[[MUL:.+]] = arith.muli %[[BX]], %{{.+}} : index
// CHECK:   %[[LIN:.+]] = arith.addi %[[MUL]], %[[TX]] : index
// CHECK:   %[[IN:.+]] = arith.cmpi ult, %[[LIN]], %{{.+}} : index
// CHECK:   scf.if %[[IN]] {
// CHECK:     arith.remui
// CHECK:     arith.divui
// CHECK:     memref.load
// CHECK:     math.exp
// CHECK:     memref.store
// CHECK:   gpu.terminator
func.func @elementwise(%a: memref<2x37x4xf32>, %b: memref<2x37x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c37 = arith.constant 37 : index
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c2, %c37, %c4) step (%c1, %c1, %c1) {
    %x = memref.load %a[%i, %j, %k] : memref<2x37x4xf32>
    %y = math.exp %x : f32
    memref.store %y, %b[%i, %j, %k] : memref<2x37x4xf32>
    scf.reduce
  }
  return
}

// -----

// A (b, h) nest around a time loop: h on block x, b on block y, 256 threads
// running the body SPMD: the time loop in every thread, the step's parallel
// loop split over the threads (strided by 256) between two barriers. (The
// first is needed before the first step only: the previous step ended with
// the second. So it moves before the time loop.)

// CHECK-LABEL: func.func @scan_nest
// CHECK: gpu.launch blocks(%[[BX:.+]], %[[BY:.+]], %{{.+}}) in (%{{.+}} = %c4{{(_[0-9]+)?}}, %{{.+}} = %c2{{(_[0-9]+)?}}, %{{.+}} = %c1{{(_[0-9]+)?}}) threads(%[[TX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c256{{(_[0-9]+)?}}, %{{.+}} = %c1{{(_[0-9]+)?}}, %{{.+}} = %c1{{(_[0-9]+)?}})
// CHECK: gpu.barrier
// CHECK-NEXT:   scf.for %[[T:.+]] =
// CHECK-NOT: gpu.barrier
// CHECK: %[[IN:.+]] = arith.cmpi ult, %[[TX]], %c8
// CHECK: scf.if %[[IN]]
// CHECK:       memref.load %{{.+}}[%[[BY]], %[[T]], %[[BX]], %[[TX]]]
// CHECK:       memref.store
// CHECK:     gpu.barrier
func.func @scan_nest(%x: memref<2x37x4x8xf32>, %s: memref<2x4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c37 = arith.constant 37 : index
  scf.parallel (%b, %h) = (%c0, %c0) to (%c2, %c4) step (%c1, %c1) {
    scf.for %t = %c0 to %c37 step %c1 {
      scf.parallel (%k) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %x[%b, %t, %h, %k] : memref<2x37x4x8xf32>
        %o = memref.load %s[%b, %h, %k] : memref<2x4x8xf32>
        %n = arith.addf %v, %o : f32
        memref.store %n, %s[%b, %h, %k] : memref<2x4x8xf32>
        scf.reduce
      }
    }
    scf.reduce
  }
  return
}

// -----

// A nest of four dims (chunk-scans' parallel-chunks outputs: batch, head,
// tile, chunk): the inner two on block x and y, the outer two delinearized
// from block z (3 · 5 blocks), not looped over inside each block.

// CHECK-LABEL: func.func @four_dims
// CHECK: gpu.launch blocks(%[[BX:.+]], %[[BY:.+]], %[[BZ:.+]]) in (%{{.+}} = %c7{{(_[0-9]+)?}}, %{{.+}} = %c2{{(_[0-9]+)?}}, %{{.+}} = %c15{{(_[0-9]+)?}})
// CHECK-DAG: %[[H:.+]] = arith.remui %[[BZ]], %c5
// CHECK-DAG: %[[B:.+]] = arith.divui %[[BZ]], %c5
// CHECK: arith.cmpi ult, %{{.+}}, %c8
// CHECK: memref.load %{{.+}}[%[[B]], %[[H]], %[[BY]], %[[BX]], %{{.+}}]
func.func @four_dims(%x: memref<3x5x2x7x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%b, %h, %j, %c) = (%c0, %c0, %c0, %c0) to (%c3, %c5, %c2, %c7)
      step (%c1, %c1, %c1, %c1) {
    scf.parallel (%k) = (%c0) to (%c8) step (%c1) {
      %v = memref.load %x[%b, %h, %j, %c, %k] : memref<3x5x2x7x8xf32>
      %n = arith.addf %v, %v : f32
      memref.store %n, %x[%b, %h, %j, %c, %k] : memref<3x5x2x7x8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Work at the top level that is not a parallel loop (a time loop whose unit
// batch × heads loop folded away) becomes a one-thread kernel; a constant
// global it reads is re-read inside the kernel.

// CHECK-LABEL: func.func @host_work
// CHECK-NOT: scf.for
// CHECK: gpu.launch
// CHECK:   memref.get_global @gamma
// CHECK:   scf.for
// CHECK:   gpu.terminator
// CHECK: return
memref.global "private" constant @gamma : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @host_work(%s: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %g = memref.get_global @gamma : memref<4xf32>
  scf.for %t = %c0 to %c4 step %c1 {
    %a = memref.load %g[%t] : memref<4xf32>
    %b = memref.load %s[%t] : memref<4xf32>
    %c = arith.mulf %a, %b : f32
    memref.store %c, %s[%t] : memref<4xf32>
  }
  return
}

// -----

// Bounds must be static: the CUDA target specialises shapes first.

func.func @dynamic(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{'scf.parallel' op has a dynamic bound or step; the CUDA pipeline compiles for static shapes}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %x = memref.load %a[%i] : memref<?xf32>
    memref.store %x, %a[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// The host may not consume a value computed by work that moves into a
// kernel.

func.func @host_uses_kernel_value(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' op computes a value that the host uses}}
  %x = memref.load %a[%c0] : memref<4xf32>
  return %x : f32
}

// -----

// Reductions of scf.parallel are not mapped yet: a diagnostic, not a wrong
// kernel.

func.func @reduction(%a: memref<8xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.parallel' op with reductions is not supported by the CUDA pipeline yet}}
  %r = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<8xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  memref.store %r, %out[] : memref<f32>
  return
}

// -----

// SPMD details: a store outside the parallel loops runs in thread 0 between
// barriers; a step temporary becomes shared memory (workgroup attribution),
// read through a generic-address-space view.

// CHECK-LABEL: func.func @thread_zero_and_shared
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%[[SH:.+]] : memref<8xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[TMP:.+]] = memref.memory_space_cast %[[SH]] : memref<8xf32, #gpu.address_space<workgroup>> to memref<8xf32>
// CHECK: %[[IN:.+]] = arith.cmpi ult, %{{.+}}, %c8
// CHECK: scf.if %[[IN]]
// CHECK:   memref.store %{{.+}}, %[[TMP]]
// CHECK: gpu.barrier
// CHECK: %[[IS0:.+]] = arith.cmpi eq, %{{.+}}, %{{.+}} : index
// CHECK: scf.if %[[IS0]] {
// CHECK:   memref.store
// CHECK: gpu.barrier
func.func @thread_zero_and_shared(%x: memref<2x8xf32>, %out: memref<2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tmp = memref.alloc() : memref<8xf32>
    scf.parallel (%k) = (%c0) to (%c8) step (%c1) {
      %v = memref.load %x[%b, %k] : memref<2x8xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %tmp[%k] : memref<8xf32>
      scf.reduce
    }
    %first = memref.load %tmp[%c0] : memref<8xf32>
    memref.store %first, %out[%b] : memref<2xf32>
    memref.dealloc %tmp : memref<8xf32>
    scf.for %t = %c0 to %c2 step %c1 {
    }
    scf.reduce
  }
  return
}

// -----

// A temporary beyond the 48 KiB of static shared memory (a 128 x 128 f32
// state: 64 KiB) is a slice of a global workspace the host allocates, one
// slice per block, viewed at the block's offset.

// CHECK-LABEL: func.func @workspace
// CHECK: %[[WS:.+]] = memref.alloc() {alignment = 256 : i64} : memref<131072xi8>
// CHECK: gpu.launch
// CHECK: memref.view %[[WS]][%{{.+}}][] {hymir.disjoint_slice} : memref<131072xi8> to memref<128x128xf32>
func.func @workspace(%x: memref<2x128x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tmp = memref.alloc() : memref<128x128xf32>
    scf.for %t = %c0 to %c2 step %c1 {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c128) step (%c1, %c1) {
        %v = memref.load %x[%b, %i, %j] : memref<2x128x128xf32>
        memref.store %v, %tmp[%i, %j] : memref<128x128xf32>
        scf.reduce
      }
      scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c128) step (%c1, %c1) {
        %v = memref.load %tmp[%j, %i] : memref<128x128xf32>
        memref.store %v, %x[%b, %i, %j] : memref<2x128x128xf32>
        scf.reduce
      }
    }
    memref.dealloc %tmp : memref<128x128xf32>
    scf.reduce
  }
  return
}

// -----

// A write whose result other code uses cannot run in thread 0 alone (its
// value would not reach the other threads): the block keeps one thread.

// CHECK-LABEL: func.func @one_thread
// CHECK: gpu.launch blocks({{.*}}) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c1{{(_[0-9]+)?}}, %{{.+}} = %c1{{(_[0-9]+)?}}, %{{.+}} = %c1{{(_[0-9]+)?}})
func.func @one_thread(%x: memref<2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%b, %k] : memref<2x8xf32>
      memref.store %acc, %x[%b, %k] : memref<2x8xf32>
      %n = arith.addf %acc, %v : f32
      scf.yield %n : f32
    }
    scf.parallel (%k) = (%c0) to (%c8) step (%c1) {
      memref.store %sum, %x[%b, %k] : memref<2x8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Barrier elimination. Loops 1 and 2 touch disjoint buffers: no barrier
// between them. Loop 3 reads %t where loop 2 wrote it, at the same index in
// the same iteration space, so in the same thread: no barrier. Loop 4 reads
// %t at a shifted index, which another thread wrote: the barrier stays. The
// step loop's body ends with a barrier, so the one that began it is needed
// before the first step only: it moves before the loop. (Two step
// temporaries lead the body: both become workgroup buffers.)

// (64 iterations on 256 threads: each split loop is one guarded round.)

// CHECK-LABEL: func.func @barrier_elimination
// CHECK: gpu.barrier
// CHECK-NEXT: scf.for %{{.+}} = %{{.+}} to %{{.+}} step
// CHECK-NOT: gpu.barrier
// CHECK: scf.if
// CHECK:   memref.store %{{.+}}, %[[U:.+]][
// CHECK-NOT: gpu.barrier
// CHECK: scf.if
// CHECK:   memref.store %{{.+}}, %[[T:.+]][
// CHECK-NOT: gpu.barrier
// CHECK: scf.if
// CHECK:   memref.load %[[T]]
// CHECK: gpu.barrier
// CHECK-NOT: memref.store
// CHECK: scf.if
// CHECK:   memref.load %[[T]]
// CHECK: }
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: }

func.func @barrier_elimination(%x: memref<2x64xf32>) -> (memref<2x64xf32>, memref<2x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c63 = arith.constant 63 : index
  %c64 = arith.constant 64 : index
  %out = memref.alloc() : memref<2x64xf32>
  %shifted = memref.alloc() : memref<2x64xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %u = memref.alloc() : memref<64xf32>
    %t = memref.alloc() : memref<64xf32>
    scf.for %s = %c0 to %c3 step %c1 {
      scf.parallel (%k) = (%c0) to (%c64) step (%c1) {
        %v = memref.load %x[%b, %k] : memref<2x64xf32>
        memref.store %v, %u[%k] : memref<64xf32>
        scf.reduce
      }
      scf.parallel (%k) = (%c0) to (%c64) step (%c1) {
        %v = memref.load %x[%b, %k] : memref<2x64xf32>
        %w = arith.mulf %v, %v : f32
        memref.store %w, %t[%k] : memref<64xf32>
        scf.reduce
      }
      scf.parallel (%k) = (%c0) to (%c64) step (%c1) {
        %v = memref.load %t[%k] : memref<64xf32>
        memref.store %v, %out[%b, %k] : memref<2x64xf32>
        scf.reduce
      }
      scf.parallel (%k) = (%c0) to (%c63) step (%c1) {
        %k1 = arith.addi %k, %c1 : index
        %v = memref.load %t[%k1] : memref<64xf32>
        memref.store %v, %shifted[%b, %k] : memref<2x64xf32>
        scf.reduce
      }
    }
    memref.dealloc %u : memref<64xf32>
    memref.dealloc %t : memref<64xf32>
    scf.reduce
  }
  return %out, %shifted : memref<2x64xf32>, memref<2x64xf32>
}

// -----

// A sum in the sequential part of an SPMD body (an L2 norm of a step's key,
// 128 terms, reassociation allowed) would run whole in every thread: each
// thread adds its share of the terms (a loop strided by the block size) and
// gpu.all_reduce combines them; the initial value is added once. A sum
// without `reassoc`, or of fewer than 64 terms, stays as it was.

// CHECK-LABEL: func.func @block_sum
// CHECK: gpu.launch
// CHECK: %[[START:.+]] = arith.addi %{{.+}}, %{{.+}} : index
// CHECK: %[[SHARE:.+]] = scf.for %{{.+}} = %[[START]] to %c128{{.*}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (f32)
// CHECK: %[[TOTAL:.+]] = gpu.all_reduce add %[[SHARE]] uniform {
// CHECK: arith.addf %{{.+}}, %[[TOTAL]] fastmath<reassoc> : f32
// CHECK: scf.for %{{.+}} = %c0{{.*}} to %c128{{.*}} step %c1{{.*}} iter_args
// CHECK-NOT: gpu.all_reduce
// CHECK: scf.for %{{.+}} = %c0{{.*}} to %c16{{.*}} step %c1{{.*}} iter_args
// CHECK-NOT: gpu.all_reduce
// CHECK: gpu.terminator
func.func @block_sum(%x: memref<2x128xf32>) -> memref<2x3x128xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %one = arith.constant 1.0 : f32
  %out = memref.alloc() : memref<2x3x128xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %sum = scf.for %k = %c0 to %c128 step %c1 iter_args(%acc = %one) -> (f32) {
      %v = memref.load %x[%b, %k] : memref<2x128xf32>
      %sq = arith.mulf %v, %v : f32
      %n = arith.addf %acc, %sq fastmath<reassoc> : f32
      scf.yield %n : f32
    }
    %ordered = scf.for %k = %c0 to %c128 step %c1 iter_args(%acc = %one) -> (f32) {
      %v = memref.load %x[%b, %k] : memref<2x128xf32>
      %n = arith.addf %acc, %v : f32
      scf.yield %n : f32
    }
    %short = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %one) -> (f32) {
      %v = memref.load %x[%b, %k] : memref<2x128xf32>
      %n = arith.addf %acc, %v fastmath<reassoc> : f32
      scf.yield %n : f32
    }
    scf.parallel (%k) = (%c0) to (%c128) step (%c1) {
      %c = arith.constant 0 : index
      %c_1 = arith.constant 1 : index
      %c_2 = arith.constant 2 : index
      memref.store %sum, %out[%b, %c, %k] : memref<2x3x128xf32>
      memref.store %ordered, %out[%b, %c_1, %k] : memref<2x3x128xf32>
      memref.store %short, %out[%b, %c_2, %k] : memref<2x3x128xf32>
      scf.reduce
    }
    scf.reduce
  }
  return %out : memref<2x3x128xf32>
}

// -----

// A chunk's prepare loop: step %s writes row %s of the chunk (a view sliced
// at %s), a per-step temporary each thread reads back at the index it wrote,
// and one scalar (thread 0, at index %s). Iterations touch disjoint slices
// or only what the same thread wrote: the loop needs a barrier before and
// after it, none inside.

// CHECK-LABEL: func.func @independent_steps
// CHECK: gpu.barrier
// CHECK-NEXT: scf.for %{{.+}} = %c0{{.*}} to %c16
// CHECK-NOT: gpu.barrier
// CHECK: arith.cmpi eq
// CHECK-NEXT: scf.if
// CHECK: }
// CHECK-NEXT: }
// CHECK-NOT: scf.for
// CHECK: gpu.barrier
// CHECK-NOT: memref.store
// CHECK: scf.for
func.func @independent_steps(%x: memref<2x16x64xf32>, %g: memref<2x16xf32>)
    -> (memref<2x16x64xf32>, memref<2x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %rows_out = memref.alloc() : memref<2x16x64xf32>
  %g_out = memref.alloc() : memref<2x16xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %rows = memref.alloc() : memref<16x64xf32>
    %tmp = memref.alloc() : memref<64xf32>
    %gs = memref.alloc() : memref<16xf32>
    scf.for %s = %c0 to %c16 step %c1 {
      %gv = memref.load %g[%b, %s] : memref<2x16xf32>
      scf.parallel (%k) = (%c0) to (%c64) step (%c1) {
        %v = memref.load %x[%b, %s, %k] : memref<2x16x64xf32>
        %w = arith.mulf %v, %gv : f32
        memref.store %w, %tmp[%k] : memref<64xf32>
        scf.reduce
      }
      %row = memref.subview %rows[%s, 0] [1, 64] [1, 1] : memref<16x64xf32> to memref<64xf32, strided<[1], offset: ?>>
      scf.parallel (%k) = (%c0) to (%c64) step (%c1) {
        %v = memref.load %tmp[%k] : memref<64xf32>
        memref.store %v, %row[%k] : memref<64xf32, strided<[1], offset: ?>>
        scf.reduce
      }
      memref.store %gv, %gs[%s] : memref<16xf32>
    }
    scf.parallel (%i, %k) = (%c0, %c0) to (%c16, %c64) step (%c1, %c1) {
      %v = memref.load %rows[%i, %k] : memref<16x64xf32>
      memref.store %v, %rows_out[%b, %i, %k] : memref<2x16x64xf32>
      scf.reduce
    }
    scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
      %v = memref.load %gs[%i] : memref<16xf32>
      memref.store %v, %g_out[%b, %i] : memref<2x16xf32>
      scf.reduce
    }
    memref.dealloc %rows : memref<16x64xf32>
    memref.dealloc %tmp : memref<64xf32>
    memref.dealloc %gs : memref<16xf32>
    scf.reduce
  }
  return %rows_out, %g_out : memref<2x16x64xf32>, memref<2x16xf32>
}

// -----

// The same loop where step %s also reads row %s - 1, which other threads
// wrote in the previous step: the barrier at the end of the body stays.

// CHECK-LABEL: func.func @dependent_steps
// CHECK: scf.for %{{.+}} = %c1{{.*}} to %c16
// CHECK: memref.load
// CHECK: gpu.barrier
// CHECK-NEXT: }
func.func @dependent_steps(%x: memref<2x16x64xf32>) -> memref<2x16x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %out = memref.alloc() : memref<2x16x64xf32>
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %rows = memref.alloc() : memref<16x64xf32>
    scf.for %s = %c1 to %c16 step %c1 {
      %prev = arith.subi %s, %c1 : index
      %row = memref.subview %rows[%s, 0] [1, 64] [1, 1] : memref<16x64xf32> to memref<64xf32, strided<[1], offset: ?>>
      scf.parallel (%k) = (%c0) to (%c64) step (%c1) {
        %k1 = arith.addi %k, %c1 : index
        %k2 = arith.remui %k1, %c64 : index
        %v = memref.load %rows[%prev, %k2] : memref<16x64xf32>
        %w = memref.load %x[%b, %s, %k] : memref<2x16x64xf32>
        %y = arith.addf %v, %w : f32
        memref.store %y, %row[%k] : memref<64xf32, strided<[1], offset: ?>>
        scf.reduce
      }
    }
    scf.parallel (%i, %k) = (%c0, %c0) to (%c16, %c64) step (%c1, %c1) {
      %v = memref.load %rows[%i, %k] : memref<16x64xf32>
      memref.store %v, %out[%b, %i, %k] : memref<2x16x64xf32>
      scf.reduce
    }
    memref.dealloc %rows : memref<16x64xf32>
    scf.reduce
  }
  return %out : memref<2x16x64xf32>
}
