// --emit=so: a shared library that exports only the C entry points, loads,
// and runs. This module's strided copy calls memrefCopy from MLIR's C runner
// utils: the library records it (with an rpath) and the header names it.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %s --target=cpu --emit=so -o %t/libstrided.so --header=%t/strided.h
// RUN: %llvm_readobj --file-headers --needed-libs %t/libstrided.so | FileCheck %s --check-prefix=ELF
// ELF: Type: SharedObject
// ELF: NeededLibraries [
// ELF-DAG: libc.so
// ELF-DAG: libm.so
// ELF-DAG: libmlir_c_runner_utils.so
// RUN: %llvm_nm --dynamic --extern-only --defined-only %t/libstrided.so | FileCheck %s --check-prefix=EXPORTS
// EXPORTS-NOT: strided
// EXPORTS: T _mlir_ciface_strided
// EXPORTS-NOT: strided
// RUN: FileCheck %s --check-prefix=HEADER < %t/strided.h
// HEADER: Link with the C library, libm (-lm) and
// HEADER-NEXT: libmlir_c_runner_utils.so

// It loads and computes x[:, ::2].
// RUN: %python %S/Inputs/call_strided.py %t/libstrided.so | FileCheck %s --check-prefix=CALL
// CALL: sizes [4, 2] strides [2, 1]
// CALL-NEXT: values [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0]

// The gallery's GDN as a shared library loads too.
// RUN: hymir-compile %examples/ops/gated_delta_net.mlir --emit=so -o %t/libgdn.so
// RUN: %python -c "import ctypes, sys; ctypes.CDLL(sys.argv[1])._mlir_ciface_main; print('loaded')" %t/libgdn.so | FileCheck %s --check-prefix=LOAD
// LOAD: loaded

func.func @strided(%x: tensor<4x4xf32>) -> tensor<4x2xf32> {
  %s = tensor.extract_slice %x[0, 0] [4, 2] [1, 2] : tensor<4x4xf32> to tensor<4x2xf32>
  return %s : tensor<4x2xf32>
}
