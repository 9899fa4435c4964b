// Compiled code gives the same bits on every run. The scan and attention
// kernels reduce with `reassoc`, so LLVM's vectorized and scalar copies of a
// loop round differently; had the loop vectorizer guarded a loop with
// run-time checks of the distance between buffers (diff.check) or of their
// overlap (found.conflict), the heap's layout could pick the copy, and two
// runs of one model would differ in the last bits (seen under ASan with 2
// threads: 3 of 20 Gated DeltaNet runs). memref.alloc lowers to
// aligned_alloc, so LLVM sees each buffer as a distinct allocation and needs
// no checks in these kernels.

// RUN: hymir-compile %examples/ops/gated_delta_net.mlir --target=cpu --emit=llvm -o %t.gdn.ll
// RUN: FileCheck %s --implicit-check-not=found.conflict --implicit-check-not=diff.check < %t.gdn.ll
// RUN: hymir-compile %examples/ops/simple_gla.mlir --target=cpu --emit=llvm -o %t.gla.ll
// RUN: FileCheck %s --implicit-check-not=found.conflict --implicit-check-not=diff.check < %t.gla.ll
// RUN: hymir-compile %examples/ops/mamba2_ssd.mlir --target=cpu --emit=llvm -o %t.ssd.ll
// RUN: FileCheck %s --implicit-check-not=found.conflict --implicit-check-not=diff.check < %t.ssd.ll
// RUN: hymir-compile %examples/ops/attention_causal.mlir --target=cpu --emit=llvm -o %t.attn.ll
// RUN: FileCheck %s --implicit-check-not=found.conflict --implicit-check-not=diff.check < %t.attn.ll

// CHECK-DAG: define void @_mlir_ciface_main(
// CHECK-DAG: call {{.*}}@aligned_alloc(
