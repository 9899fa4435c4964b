// Loops that call libm functions vectorize into glibc's vector variants
// (libmvec, the vector library of optimizeLLVMModule) on the AOT path and in
// the JIT alike: the per-step exp of a Mamba-like decay over a [D, N] state
// and of an output gate (D = 37 rows: not a multiple of the vector width)
// become calls of 8-lane expf, the shared library records libmvec.so.1, the
// header names it, and the JIT's result (which resolves the same symbols)
// matches the float64 reference.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %s --target=cpu --emit=llvm -o %t/decay.ll
// RUN: FileCheck %s --check-prefix=IR < %t/decay.ll
// IR-DAG: declare <8 x float> @_ZGVdN8v_expf(<8 x float>)
// IR-DAG: call <8 x float> @_ZGVdN8v_expf(
// RUN: hymir-compile %s --target=cpu --emit=so -o %t/libdecay.so --header=%t/decay.h
// RUN: %llvm_readobj --needed-libs %t/libdecay.so | FileCheck %s --check-prefix=ELF
// ELF: NeededLibraries [
// ELF-DAG: libmvec.so.1
// RUN: FileCheck %s --check-prefix=HEADER < %t/decay.h
// HEADER: Link with the C library, libm (-lm) and
// HEADER-NEXT: libmvec.so.1

// RUN: %python -c "import numpy as np; r = np.random.default_rng(3); [np.save('%t/in%%d.npy' %% i, a.astype(np.float32)) for i, a in enumerate([r.normal(size=(2, 7, 37)), r.uniform(0.01, 2.0, (2, 7, 37)), r.normal(size=(2, 7, 16)), -r.uniform(0.1, 4.0, (37, 16)), r.normal(size=(2, 37, 16))])]"
// RUN: hymir-run %s --check --input=%t/in0.npy --input=%t/in1.npy --input=%t/in2.npy --input=%t/in3.npy --input=%t/in4.npy | FileCheck %s --check-prefix=OK
// OK: check: OK, 2 result(s), max relative RMS {{.*}} <= 1e-04

func.func @main(%x: tensor<2x7x37xf32>, %dt: tensor<2x7x37xf32>, %b: tensor<2x7x16xf32>,
                %a: tensor<37x16xf32>, %h0: tensor<2x37x16xf32>)
    -> (tensor<2x7x37xf32>, tensor<2x37x16xf32>) {
  %y, %hT = hymir.scan ins(%x, %dt, %b : tensor<2x7x37xf32>, tensor<2x7x37xf32>, tensor<2x7x16xf32>)
      params(%a : tensor<37x16xf32>) inits(%h0 : tensor<2x37x16xf32>)
      -> (tensor<2x7x37xf32>) {
  ^bb0(%x_t: tensor<37xf32>, %dt_t: tensor<37xf32>, %b_t: tensor<16xf32>, %a_p: tensor<37x16xf32>,
       %h: tensor<37x16xf32>):
    %dA = hymir.scale %a_p, %dt_t along rows : tensor<37x16xf32>, tensor<37xf32>
    %decay = math.exp %dA : tensor<37x16xf32>
    %hd = arith.mulf %decay, %h : tensor<37x16xf32>
    %u = arith.mulf %dt_t, %x_t : tensor<37xf32>
    %upd = hymir.outer %u, %b_t : tensor<37xf32>, tensor<16xf32> -> tensor<37x16xf32>
    %hn = arith.addf %hd, %upd : tensor<37x16xf32>
    %r = hymir.read %hn, %b_t along cols : tensor<37x16xf32>, tensor<16xf32> -> tensor<37xf32>
    %ng = arith.negf %x_t : tensor<37xf32>
    %eg = math.exp %ng : tensor<37xf32>
    %y_t = arith.mulf %r, %eg : tensor<37xf32>
    hymir.yield %y_t, %hn : tensor<37xf32>, tensor<37x16xf32>
  }
  return %y, %hT : tensor<2x7x37xf32>, tensor<2x37x16xf32>
}
