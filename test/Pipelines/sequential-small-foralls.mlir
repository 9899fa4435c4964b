// RUN: hymir-opt %s --hymir-sequential-small-foralls | FileCheck %s
// RUN: hymir-opt %s --hymir-cpu-pipeline="threads=2" | FileCheck %s --check-prefix=OMP

// hymir-cpu-pipeline with threads != 1: a (b, h) forall of fewer than two
// iterations runs in order (scf.for, no OpenMP region); one with dynamic
// bounds is versioned on its trip count; one of two or more stays parallel.

// CHECK-LABEL: func.func @one_iteration(
// CHECK-NOT: scf.forall
// CHECK: scf.for %{{.+}} = %c0 to %c1 step
// CHECK: scf.for
// CHECK: memref.store
// CHECK-NOT: scf.forall
// OMP-LABEL: llvm.func @one_iteration(
// OMP-NOT: omp.parallel
// OMP: llvm.return
func.func @one_iteration(%m: memref<1x4xf32>, %v: f32) {
  scf.forall (%b, %h) in (1, 1) {
    memref.store %v, %m[%b, %h] : memref<1x4xf32>
  }
  return
}

// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %[[N:[a-z0-9]+]]: index
// CHECK: %[[SPAN:.+]] = arith.subi %[[N]], %c0
// CHECK: arith.maxsi %[[SPAN]]
// CHECK: arith.subi %c3
// CHECK: %[[TRIPS:.+]] = arith.muli
// CHECK: %[[MANY:.+]] = arith.cmpi sge, %[[TRIPS]], %c2
// CHECK: scf.if %[[MANY]] {
// CHECK:   scf.forall (%{{.+}}, %{{.+}}) in (%[[N]], 3)
// CHECK: } else {
// CHECK:   scf.for %{{.+}} = %{{.+}} to %[[N]] step
// CHECK:     scf.for
// CHECK:       memref.store
// OMP-LABEL: llvm.func @dynamic(
// OMP: omp.parallel
// OMP: llvm.return
func.func @dynamic(%m: memref<?x3xf32>, %n: index, %v: f32) {
  scf.forall (%b, %h) in (%n, 3) {
    memref.store %v, %m[%b, %h] : memref<?x3xf32>
  }
  return
}

// CHECK-LABEL: func.func @two_iterations(
// CHECK-NOT: scf.if
// CHECK: scf.forall (%{{.+}}) in (2)
// OMP-LABEL: llvm.func @two_iterations(
// OMP: omp.parallel
func.func @two_iterations(%m: memref<2xf32>, %v: f32) {
  scf.forall (%b) in (2) {
    memref.store %v, %m[%b] : memref<2xf32>
  }
  return
}
