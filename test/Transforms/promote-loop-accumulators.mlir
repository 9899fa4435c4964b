// RUN: hymir-opt %s --hymir-promote-loop-accumulators -split-input-file | FileCheck %s

// hymir-promote-loop-accumulators alone: a reduction's accumulator moves from
// memory into an iter_arg where nothing else in the loop may touch it.

// A dot product into an allocation, reading a function argument.
// CHECK-LABEL: func.func @dot
// CHECK: %[[INIT:.+]] = memref.load %[[ACC:.+]][%[[I:.+]]] : memref<8xf32>
// CHECK-NEXT: %[[R:.+]] = scf.for %{{.+}} iter_args(%[[X:.+]] = %[[INIT]]) -> (f32) {
// CHECK-NOT: memref.store
// CHECK: %[[Y:.+]] = arith.addf %[[X]], %{{.+}} : f32
// CHECK-NEXT: scf.yield %[[Y]] : f32
// CHECK: memref.store %[[R]], %[[ACC]][%[[I]]] : memref<8xf32>
func.func @dot(%a: memref<8x16xf32>, %i: index) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %acc = memref.alloc() : memref<8xf32>
  scf.for %k = %c0 to %c16 step %c1 {
    %x = memref.load %acc[%i] : memref<8xf32>
    %v = memref.load %a[%i, %k] : memref<8x16xf32>
    %y = arith.addf %x, %v : f32
    memref.store %y, %acc[%i] : memref<8xf32>
  }
  return %acc : memref<8xf32>
}

// -----

// Through a view, reading another allocation: promoted.
// CHECK-LABEL: func.func @view
// CHECK: scf.for {{.+}} iter_args
func.func @view(%i: index) -> memref<4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %acc = memref.alloc() : memref<4x8xf32>
  %b = memref.alloc() : memref<16xf32>
  %row = memref.subview %acc[1, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  scf.for %k = %c0 to %c16 step %c1 {
    %x = memref.load %row[%i] : memref<8xf32, strided<[1], offset: 8>>
    %v = memref.load %b[%k] : memref<16xf32>
    %y = arith.addf %x, %v : f32
    memref.store %y, %row[%i] : memref<8xf32, strided<[1], offset: 8>>
  }
  return %acc : memref<4x8xf32>
}

// -----

// Left alone: the loop also reads another element of the same buffer, the
// index varies with the loop, the buffer is a function argument (it may
// alias the others), or a call may touch it.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: iter_args
func.func @kept(%arg: memref<8xf32>, %i: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %acc = memref.alloc() : memref<8xf32>
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %acc[%i] : memref<8xf32>
    %v = memref.load %acc[%k] : memref<8xf32>
    %y = arith.addf %x, %v : f32
    memref.store %y, %acc[%i] : memref<8xf32>
  }
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %acc[%k] : memref<8xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %acc[%k] : memref<8xf32>
  }
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %arg[%i] : memref<8xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %arg[%i] : memref<8xf32>
  }
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %acc[%i] : memref<8xf32>
    func.call @touch(%acc) : (memref<8xf32>) -> ()
    memref.store %x, %acc[%i] : memref<8xf32>
  }
  memref.dealloc %acc : memref<8xf32>
  return
}
func.func private @touch(memref<8xf32>)
