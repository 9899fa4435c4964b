// The transcendentals of compiled CPU code (hymir-polynomial-math: f32 exp,
// expm1, log, log1p, tanh as polynomials) against float64: within a few ulp
// over their whole domains (random inputs, log-uniform magnitudes, both
// signs), 0 ulp at the exact points (exp(0) = 1, log(1) = 0, tanh(0) = 0),
// and the IEEE results at the edges: infinities, NaN, overflow to inf,
// underflow to 0, log(0) = -inf, log1p(-1) = -inf, expm1(-inf) = -1. The
// pipeline must leave no call of these functions in the code.

// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/check_transcendentals.py hymir-run %s %t | FileCheck %s
// CHECK: exp: max
// CHECK: expm1: max
// CHECK: log: max
// CHECK: log1p: max
// CHECK: tanh: max
// CHECK: OK

// RUN: hymir-compile %s --target=cpu --emit=llvm -o %t/math.ll
// RUN: FileCheck %s --check-prefix=IR --implicit-check-not=expf --implicit-check-not=logf --implicit-check-not=log1pf --implicit-check-not=tanhf < %t/math.ll
// IR: define void @_mlir_ciface_main(

func.func @main(%e: tensor<?xf32>, %em: tensor<?xf32>, %l: tensor<?xf32>,
                %lp: tensor<?xf32>, %t: tensor<?xf32>)
    -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>,
        tensor<?xf32>) {
  %0 = math.exp %e : tensor<?xf32>
  %1 = math.expm1 %em : tensor<?xf32>
  %2 = math.log %l : tensor<?xf32>
  %3 = math.log1p %lp : tensor<?xf32>
  %4 = math.tanh %t : tensor<?xf32>
  return %0, %1, %2, %3, %4
      : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>,
        tensor<?xf32>
}
