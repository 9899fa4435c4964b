// The vector variants glibc added to libmvec in 2.35 and LLVM 22's LIBMVEC
// table lacks (optimizeLLVMModule maps them itself): f64 loops of tanh
// (GELU), expm1 and log1p (softplus) vectorize into 4-lane calls instead of
// one scalar libm call per element, and the JIT's results (which resolve the
// same symbols) match the float64 reference. (Their f32 forms are
// polynomials, hymir-polynomial-math, and call nothing.) The inputs cover
// both signs, tiny magnitudes (where expm1 and log1p are why the ops exist)
// and tanh's saturation. The GELU's math.fma stays an llvm.fma
// (hymir-convert-math-to-libm leaves exact ops alone): a call of fma would
// keep its whole loop scalar, tanh included.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %s --target=cpu --emit=llvm -o %t/act.ll
// RUN: FileCheck %s --check-prefix=IR < %t/act.ll
// IR-DAG: call <4 x double> @_ZGVdN4v_tanh(
// IR-DAG: call <4 x double> @_ZGVdN4v_expm1(
// IR-DAG: call <4 x double> @_ZGVdN4v_log1p(
// IR-NOT: @fma(

// RUN: %python -c "import numpy as np; r = np.random.default_rng(7); x = r.normal(size=(14, 37)) * np.exp(r.uniform(-12, 2.5, (14, 37))); np.save('%t/x.npy', x.astype(np.float32))"
// RUN: hymir-run %s --check --input=%t/x.npy | FileCheck %s --check-prefix=OK
// OK: check: OK, 4 result(s), max relative RMS {{.*}} <= 1e-04

// The activations computed in f64 (as a precise path would) on f32 tensors.
func.func @main(%x32: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %x = arith.extf %x32 : tensor<?x?xf32> to tensor<?x?xf64>
  %t = math.tanh %x : tensor<?x?xf64>
  %e = math.expm1 %x : tensor<?x?xf64>
  %a = math.absf %x : tensor<?x?xf64>
  %l = math.log1p %a : tensor<?x?xf64>
  // gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  %k = arith.constant dense<0.044715> : tensor<14x37xf64>
  %c = arith.constant dense<0.7978845608> : tensor<14x37xf64>
  %h = arith.constant dense<0.5> : tensor<14x37xf64>
  %one = arith.constant dense<1.0> : tensor<14x37xf64>
  %xs = tensor.cast %x : tensor<?x?xf64> to tensor<14x37xf64>
  %x2 = arith.mulf %xs, %xs : tensor<14x37xf64>
  %x3 = arith.mulf %x2, %xs : tensor<14x37xf64>
  %in = math.fma %k, %x3, %xs : tensor<14x37xf64>
  %sc = arith.mulf %c, %in : tensor<14x37xf64>
  %th = math.tanh %sc : tensor<14x37xf64>
  %p = arith.addf %one, %th : tensor<14x37xf64>
  %hx = arith.mulf %h, %xs : tensor<14x37xf64>
  %g = arith.mulf %hx, %p : tensor<14x37xf64>
  %gd = tensor.cast %g : tensor<14x37xf64> to tensor<?x?xf64>
  %t32 = arith.truncf %t : tensor<?x?xf64> to tensor<?x?xf32>
  %e32 = arith.truncf %e : tensor<?x?xf64> to tensor<?x?xf32>
  %l32 = arith.truncf %l : tensor<?x?xf64> to tensor<?x?xf32>
  %g32 = arith.truncf %gd : tensor<?x?xf64> to tensor<?x?xf32>
  return %t32, %e32, %l32, %g32 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}
