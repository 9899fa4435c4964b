// RUN: hymir-opt %s --pass-pipeline='builtin.module(gpu.module(hymir-gpu-lower-all-reduce))' | FileCheck %s

// A block-wide sum becomes warp shuffles, a workgroup buffer for the warps'
// partial sums, and barriers; no gpu.all_reduce is left for the NVVM
// conversion, which has no lowering for it.

// CHECK-LABEL: gpu.func @sum
// CHECK-SAME: workgroup(%{{.+}} : memref<32xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: gpu.all_reduce
// CHECK: gpu.shuffle xor
// CHECK: gpu.barrier
// CHECK-NOT: gpu.all_reduce
// CHECK: gpu.return
gpu.module @kernels {
  gpu.func @sum(%x: memref<256xf32>, %out: memref<1xf32>) kernel {
    %c0 = arith.constant 0 : index
    %tid = gpu.thread_id x
    %v = memref.load %x[%tid] : memref<256xf32>
    %total = gpu.all_reduce add %v uniform {} : (f32) -> f32
    memref.store %total, %out[%c0] : memref<1xf32>
    gpu.return
  }
}
