// The vector variants glibc added to libmvec in 2.35 and LLVM 22's LIBMVEC
// table lacks (optimizeLLVMModule maps them itself): loops of tanhf (GELU),
// expm1f (RG-LRU's sqrt(1 - a^2)) and log1pf (softplus) vectorize into
// 8-lane calls instead of one scalar libm call per element, and the JIT's
// results (which resolve the same symbols) match the float64 reference. The
// inputs cover both signs, tiny magnitudes (where expm1 and log1p are why the
// ops exist) and tanh's saturation.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %s --target=cpu --emit=llvm -o %t/act.ll
// RUN: FileCheck %s --check-prefix=IR < %t/act.ll
// IR-DAG: call <8 x float> @_ZGVdN8v_tanhf(
// IR-DAG: call <8 x float> @_ZGVdN8v_expm1f(
// IR-DAG: call <8 x float> @_ZGVdN8v_log1pf(

// RUN: %python -c "import numpy as np; r = np.random.default_rng(7); x = r.normal(size=(14, 37)) * np.exp(r.uniform(-12, 2.5, (14, 37))); np.save('%t/x.npy', x.astype(np.float32))"
// RUN: hymir-run %s --check --input=%t/x.npy | FileCheck %s --check-prefix=OK
// OK: check: OK, 3 result(s), max relative RMS {{.*}} <= 1e-04

func.func @main(%x: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %t = math.tanh %x : tensor<?x?xf32>
  %e = math.expm1 %x : tensor<?x?xf32>
  %a = math.absf %x : tensor<?x?xf32>
  %l = math.log1p %a : tensor<?x?xf32>
  return %t, %e, %l : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}
