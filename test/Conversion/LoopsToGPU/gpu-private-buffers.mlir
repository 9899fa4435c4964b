// RUN: hymir-opt %s --split-input-file --verify-diagnostics --hymir-gpu-private-buffers | FileCheck %s

// A temporary of a time step becomes one stack buffer at the kernel's entry,
// reused by every step; its deallocation goes.

// CHECK-LABEL: func.func @step_temporary
// CHECK: gpu.launch
// CHECK-NEXT: %[[TMP:.+]] = memref.alloca() {alignment = 64 : i64} : memref<12x20xf32>
// CHECK: scf.for
// CHECK:   linalg.fill ins(%{{.+}} : f32) outs(%[[TMP]] : memref<12x20xf32>)
// CHECK-NOT: memref.alloc()
// CHECK-NOT: memref.dealloc
func.func @step_temporary(%out: memref<12x20xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c37 = arith.constant 37 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    scf.for %t = %c0 to %c37 step %c1 {
      %tmp = memref.alloc() {alignment = 64 : i64} : memref<12x20xf32>
      linalg.fill ins(%zero : f32) outs(%tmp : memref<12x20xf32>)
      memref.copy %tmp, %out : memref<12x20xf32> to memref<12x20xf32>
      memref.dealloc %tmp : memref<12x20xf32>
    }
    gpu.terminator
  }
  return
}

// -----

// A buffer that outlives its iteration (yielded to the next one) cannot be
// reused: an error at the allocation.

func.func @escaping(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %init = memref.alloca() : memref<4xf32>
    %r = scf.for %t = %c0 to %c1 step %c1 iter_args(%cur = %init) -> (memref<4xf32>) {
      // expected-error @+1 {{'memref.alloc' op inside a GPU kernel outlives the loop iteration that allocates it}}
      %next = memref.alloc() : memref<4xf32>
      scf.yield %next : memref<4xf32>
    }
    gpu.terminator
  }
  return
}

// -----

func.func @dynamic_size(%n: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{'memref.alloc' op inside a GPU kernel has a dynamic size}}
    %tmp = memref.alloc(%n) : memref<?xf32>
    gpu.terminator
  }
  return
}
