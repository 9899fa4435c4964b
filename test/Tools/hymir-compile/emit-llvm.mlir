// --emit=llvm: LLVM IR optimized for the CPU, with the triple, the data layout
// and the CPU recorded; the function @main wraps is internal (inlined away, or
// kept as an internal function where the chunked scans' prefetch code makes it
// too large to inline): no exported definition of @main.

// RUN: hymir-compile %examples/ops/gated_delta_net.mlir --target=cpu --emit=llvm -o %t.ll
// RUN: FileCheck %s < %t.ll
// CHECK: target datalayout = "{{.+}}"
// CHECK: target triple = "{{.+}}"
// CHECK-NOT: define {{[^i].*}}@main(
// CHECK: define void @_mlir_ciface_main(ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}})
// CHECK-NOT: define {{[^i].*}}@main(
// CHECK: attributes #{{[0-9]+}} = { {{.*}}"target-cpu"=

