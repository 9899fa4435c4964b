// RUN: hymir-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128}))' \
// RUN:   | FileCheck %s
// RUN: not hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=48}))' \
// RUN:   2>&1 | FileCheck %s --check-prefix=ODD
// RUN: hymir-opt %s --pass-pipeline='builtin.module(gpu.module(hymir-gpu-align-workgroup-buffers))' \
// RUN:   --split-input-file 2>&1 | FileCheck %s --check-prefix=ALIGN

// Warp tiles (hymir-gpu-chunk-matmuls-to-mma) in a nest's SPMD body are
// split over warps, not threads: warp tid / 32 takes tiles warp,
// warp + 4, ... (128 threads = 4 warps), so that every lane of a warp runs
// the same tile; an ordinary parallel loop next to them is split over
// threads. Barriers fence both. Both are loops over rounds: 256 stores over
// 128 threads are 2 rounds (tid, tid + 128); 1 tile over 4 warps is 1
// round, no loop, guarded (warp < 1).

// CHECK-LABEL: func.func @tiles
// CHECK: gpu.launch blocks({{.+}}) threads(%[[TID:[^,]+]],
// CHECK:   scf.for %[[R:.+]] = %c0{{[0-9_]*}} to %c2{{[0-9_]*}} step %c1{{[0-9_]*}} {
// CHECK:     %[[OFF:.+]] = arith.muli %[[R]], %c128
// CHECK:     arith.addi %[[TID]], %[[OFF]]
// CHECK:   %[[WARP:.+]] = arith.divui %[[TID]], %c32
// CHECK:   gpu.barrier
// CHECK:     %[[IN:.+]] = arith.cmpi ult, %[[WARP]], %c1
// CHECK:     scf.if %[[IN]] {
// CHECK:       gpu.subgroup_mma_load_matrix
// CHECK:       gpu.subgroup_mma_store_matrix
// CHECK:   gpu.barrier
// ODD: warp-tiles.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'scf.parallel' op holds tensor-core tiles, which need the kernel's block to run SPMD in whole warps (nest-threads = 48); compile without tensor cores (tensor-cores=off)
// ALIGN-LABEL: gpu.func @k
// ALIGN-SAME: workgroup(%{{.+}} : memref<16x16xf32, #gpu.address_space<workgroup>> {llvm.align = 128 : i64}, %{{.+}} : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 256 : i64})
func.func @tiles(%x: memref<2x16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c16 = arith.constant 16 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 1.0 : f32
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %a = memref.alloc() : memref<16x16xf32>
    %c = memref.subview %x[%b, 0, 0] [1, 16, 16] [1, 1, 1]
        : memref<2x16x16xf32> to memref<16x16xf32, strided<[16, 1], offset: ?>>
    scf.for %t = %c0 to %c3 step %c1 {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
        memref.store %cst, %a[%i, %j] : memref<16x16xf32>
        scf.reduce
      }
      scf.parallel (%ti, %tj) = (%c0, %c0) to (%c1, %c1) step (%c1, %c1) {
        %acc = gpu.subgroup_mma_load_matrix %c[%c0, %c0] {leadDimension = 16 : index}
            : memref<16x16xf32, strided<[16, 1], offset: ?>> -> !gpu.mma_matrix<16x16xf32, "COp">
        %s = scf.for %r = %c0 to %c16 step %c8 iter_args(%y = %acc) -> (!gpu.mma_matrix<16x16xf32, "COp">) {
          %l = gpu.subgroup_mma_load_matrix %a[%c0, %r] {leadDimension = 16 : index}
              : memref<16x16xf32> -> !gpu.mma_matrix<16x8xf32, "AOp">
          %m = gpu.subgroup_mma_load_matrix %a[%r, %c0] {leadDimension = 16 : index}
              : memref<16x16xf32> -> !gpu.mma_matrix<8x16xf32, "BOp">
          %z = gpu.subgroup_mma_compute %l, %m, %y
              : !gpu.mma_matrix<16x8xf32, "AOp">, !gpu.mma_matrix<8x16xf32, "BOp">
              -> !gpu.mma_matrix<16x16xf32, "COp">
          scf.yield %z : !gpu.mma_matrix<16x16xf32, "COp">
        }
        gpu.subgroup_mma_store_matrix %s, %c[%c0, %c0] {leadDimension = 16 : index}
            : !gpu.mma_matrix<16x16xf32, "COp">, memref<16x16xf32, strided<[16, 1], offset: ?>>
        scf.reduce
      } {hymir.warp_tiles}
    }
    memref.dealloc %a : memref<16x16xf32>
    scf.reduce
  }
  return
}

// -----

gpu.module @kernels {
  gpu.func @k() workgroup(%a : memref<16x16xf32, #gpu.address_space<workgroup>>,
                          %b : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 256 : i64}) kernel {
    gpu.return
  }
}

// -----

// After convert-gpu-to-nvvm: the dynamic shared memory's global (a zero-sized
// array) becomes external, so that PTX declares `.extern .shared ... []`
// rather than a one-byte local variable, and 128-byte aligned; a static
// shared global is aligned too and keeps its linkage.

// ALIGN: llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 128 : i64} : !llvm.array<0 x i8>
// ALIGN: llvm.mlir.global internal @tile() {addr_space = 3 : i32, alignment = 128 : i64} : !llvm.array<64 x f32>
gpu.module @lowered {
  llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
  llvm.mlir.global internal @tile() {addr_space = 3 : i32, alignment = 4 : i64} : !llvm.array<64 x f32>
}
