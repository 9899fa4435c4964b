// RUN: hymir-opt %s --hymir-convert-math-to-libm | FileCheck %s

// Scalar math ops with a libm function become calls (expm1 and log1p keep
// their precision); ops libm lacks, such as math.cttz, stay for
// convert-math-to-llvm instead of failing the pass.

// CHECK-DAG: func.func private @expm1f(f32) -> f32 attributes {llvm.readnone}
// CHECK-DAG: func.func private @log1p(f64) -> f64 attributes {llvm.readnone}
// CHECK-DAG: func.func private @tanhf(f32) -> f32 attributes {llvm.readnone}

// CHECK-LABEL: func.func @mixed
// CHECK-SAME: (%[[X:.+]]: f32, %[[D:.+]]: f64, %[[I:.+]]: i64)
// CHECK: call @expm1f(%[[X]]) : (f32) -> f32
// CHECK: call @log1p(%[[D]]) : (f64) -> f64
// CHECK: call @tanhf(%[[X]]) : (f32) -> f32
// CHECK: math.cttz %[[I]] : i64
func.func @mixed(%x: f32, %d: f64, %i: i64) -> (f32, f64, f32, i64) {
  %a = math.expm1 %x : f32
  %b = math.log1p %d : f64
  %c = math.tanh %x : f32
  %j = math.cttz %i : i64
  return %a, %b, %c, %j : f32, f64, f32, i64
}
