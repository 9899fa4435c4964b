// --emit=mlir: the module lowered by hymir-cpu-pipeline, nothing but LLVM
// dialect ops, with the target triple and data layout as module attributes;
// only the C interface wrapper keeps external linkage.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %examples/ops/gated_delta_net.mlir --target=cpu --emit=mlir -o %t/gdn.mlir
// RUN: FileCheck %s < %t/gdn.mlir
// CHECK: module attributes {llvm.data_layout = "{{.+}}", llvm.target_triple = "{{.+}}"}
// CHECK-DAG: llvm.func internal @main(
// CHECK-DAG: llvm.func @_mlir_ciface_main(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)

// Every op, in the generic form, is an llvm.* op (or the module).
// RUN: %mlir_opt %t/gdn.mlir --mlir-print-op-generic -o %t/generic.mlir
// RUN: %python %S/Inputs/only_llvm_ops.py %t/generic.mlir | FileCheck %s --check-prefix=OPS
// OPS: llvm ops: {{[1-9][0-9]*}}
// OPS: non-llvm: []

// mlir-translate takes it as is, triple included.
// RUN: %mlir_translate --mlir-to-llvmir %t/gdn.mlir | FileCheck %s --check-prefix=TRANSLATE
// TRANSLATE: target triple = "{{.+}}"
// TRANSLATE: define void @_mlir_ciface_main(ptr

// -o - writes to stdout.
// RUN: hymir-compile %examples/ops/gated_delta_net.mlir --emit=mlir -o - | FileCheck %s --check-prefix=STDOUT
// STDOUT: llvm.func @_mlir_ciface_main
