// The vector variants glibc added to libmvec in 2.35 and LLVM 22's LIBMVEC
// table lacks (optimizeLLVMModule maps them itself): loops of tanhf (GELU),
// expm1f (RG-LRU's sqrt(1 - a^2)) and log1pf (softplus) vectorize into
// 8-lane calls instead of one scalar libm call per element, and the JIT's
// results (which resolve the same symbols) match the float64 reference. The
// inputs cover both signs, tiny magnitudes (where expm1 and log1p are why the
// ops exist) and tanh's saturation. The GELU's math.fma stays an llvm.fma
// (hymir-convert-math-to-libm leaves exact ops alone): a call of fmaf would
// keep its whole loop scalar, tanhf included.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %s --target=cpu --emit=llvm -o %t/act.ll
// RUN: FileCheck %s --check-prefix=IR < %t/act.ll
// IR-DAG: call <8 x float> @_ZGVdN8v_tanhf(
// IR-DAG: call <8 x float> @_ZGVdN8v_expm1f(
// IR-DAG: call <8 x float> @_ZGVdN8v_log1pf(
// IR-NOT: @fmaf(

// RUN: %python -c "import numpy as np; r = np.random.default_rng(7); x = r.normal(size=(14, 37)) * np.exp(r.uniform(-12, 2.5, (14, 37))); np.save('%t/x.npy', x.astype(np.float32))"
// RUN: hymir-run %s --check --input=%t/x.npy | FileCheck %s --check-prefix=OK
// OK: check: OK, 4 result(s), max relative RMS {{.*}} <= 1e-04

func.func @main(%x: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %t = math.tanh %x : tensor<?x?xf32>
  %e = math.expm1 %x : tensor<?x?xf32>
  %a = math.absf %x : tensor<?x?xf32>
  %l = math.log1p %a : tensor<?x?xf32>
  // gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  %k = arith.constant dense<0.044715> : tensor<14x37xf32>
  %c = arith.constant dense<0.7978845608> : tensor<14x37xf32>
  %h = arith.constant dense<0.5> : tensor<14x37xf32>
  %one = arith.constant dense<1.0> : tensor<14x37xf32>
  %xs = tensor.cast %x : tensor<?x?xf32> to tensor<14x37xf32>
  %x2 = arith.mulf %xs, %xs : tensor<14x37xf32>
  %x3 = arith.mulf %x2, %xs : tensor<14x37xf32>
  %in = math.fma %k, %x3, %xs : tensor<14x37xf32>
  %sc = arith.mulf %c, %in : tensor<14x37xf32>
  %th = math.tanh %sc : tensor<14x37xf32>
  %p = arith.addf %one, %th : tensor<14x37xf32>
  %hx = arith.mulf %h, %xs : tensor<14x37xf32>
  %g = arith.mulf %hx, %p : tensor<14x37xf32>
  %gd = tensor.cast %g : tensor<14x37xf32> to tensor<?x?xf32>
  return %t, %e, %l, %gd : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}
