// Loops that call libm functions without a polynomial form in the pipeline
// (hymir-polynomial-math covers exp, expm1, log, log1p, tanh) vectorize into
// glibc's vector variants (libmvec, the vector library of optimizeLLVMModule)
// on the AOT path and in the JIT alike: the sin and cos of rotary angles
// (dynamic sizes; 37 columns, not a multiple of the vector width) become calls of 8-lane
// sinf and cosf, the shared library records libmvec.so.1, the header names
// it, and the JIT's result (which resolves the same symbols) matches the
// float64 reference.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %s --target=cpu --emit=llvm -o %t/rotary.ll
// RUN: FileCheck %s --check-prefix=IR < %t/rotary.ll
// IR-DAG: declare <8 x float> @_ZGVdN8v_sinf(<8 x float>)
// IR-DAG: call <8 x float> @_ZGVdN8v_sinf(
// IR-DAG: call <8 x float> @_ZGVdN8v_cosf(
// RUN: hymir-compile %s --target=cpu --emit=so -o %t/librotary.so --header=%t/rotary.h
// RUN: %llvm_readobj --needed-libs %t/librotary.so | FileCheck %s --check-prefix=ELF
// ELF: NeededLibraries [
// ELF-DAG: libmvec.so.1
// RUN: FileCheck %s --check-prefix=HEADER < %t/rotary.h
// HEADER: Link with the C library, libm (-lm) and
// HEADER-NEXT: libmvec.so.1

// RUN: %python -c "import numpy as np; r = np.random.default_rng(3); [np.save('%t/in%%d.npy' %% i, a.astype(np.float32)) for i, a in enumerate([r.normal(size=(2, 7, 37)), r.normal(size=(2, 7, 37)), r.uniform(-50.0, 50.0, (2, 7, 37))])]"
// RUN: hymir-run %s --check --input=%t/in0.npy --input=%t/in1.npy --input=%t/in2.npy | FileCheck %s --check-prefix=OK
// OK: check: OK, 2 result(s), max relative RMS {{.*}} <= 1e-04

// The rotation of the pairs (x, y) by the angles a.
func.func @main(%x: tensor<?x?x?xf32>, %y: tensor<?x?x?xf32>, %a: tensor<?x?x?xf32>)
    -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  %c = math.cos %a : tensor<?x?x?xf32>
  %s = math.sin %a : tensor<?x?x?xf32>
  %xc = arith.mulf %x, %c : tensor<?x?x?xf32>
  %ys = arith.mulf %y, %s : tensor<?x?x?xf32>
  %xs = arith.mulf %x, %s : tensor<?x?x?xf32>
  %yc = arith.mulf %y, %c : tensor<?x?x?xf32>
  %u = arith.subf %xc, %ys : tensor<?x?x?xf32>
  %v = arith.addf %xs, %yc : tensor<?x?x?xf32>
  return %u, %v : tensor<?x?x?xf32>, tensor<?x?x?xf32>
}
