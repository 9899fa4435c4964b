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

// Exact ops stay for convert-math-to-llvm (vector instructions, same
// results): no fmaf / sqrtf / floorf call is declared or made.
// CHECK-LABEL: func.func @exact
// CHECK-SAME: (%[[A:.+]]: f32, %[[B:.+]]: f32, %[[C:.+]]: f32, %[[V:.+]]: vector<8xf32>)
// CHECK-NEXT: %[[F:.+]] = math.fma %[[A]], %[[B]], %[[C]] : f32
// CHECK-NEXT: %[[S:.+]] = math.sqrt %[[F]] : f32
// CHECK-NEXT: %[[L:.+]] = math.floor %[[S]] : f32
// CHECK-NEXT: %[[R:.+]] = math.roundeven %[[L]] : f32
// CHECK-NEXT: %[[VF:.+]] = math.fma %[[V]], %[[V]], %[[V]] : vector<8xf32>
// CHECK-NOT: call
// CHECK-NOT: func.func private @fmaf
// CHECK-NOT: func.func private @sqrtf
func.func @exact(%a: f32, %b: f32, %c: f32, %v: vector<8xf32>) -> (f32, vector<8xf32>) {
  %f = math.fma %a, %b, %c : f32
  %s = math.sqrt %f : f32
  %l = math.floor %s : f32
  %r = math.roundeven %l : f32
  %vf = math.fma %v, %v, %v : vector<8xf32>
  return %r, %vf : f32, vector<8xf32>
}
