// The calling convention the generated header documents, checked by calling
// every entry point of this module from C (Inputs/abi.c): one tensor result
// through `result`, several results through `results` (a struct with scalar
// and tensor fields), a scalar result as the return value, scalars by value,
// rank 0, integer and f64 elements, no result, a C keyword as an argument
// name, a private function that gets no entry point.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %s --target=cpu --emit=obj -o %t/abi.o --header=%t/abi.h
// RUN: FileCheck %s --check-prefix=HEADER < %t/abi.h
// HEADER: void _mlir_ciface_twice(hymir_memref_f32_rank2 *result,
// HEADER-NEXT:                    const hymir_memref_f32_rank2 *x);
// HEADER: float _mlir_ciface_axpb(float a,
// HEADER-NEXT:                    float x,
// HEADER-NEXT:                    int64_t n);
// HEADER:      typedef struct hymir_mixed_results {
// HEADER-NEXT:   hymir_memref_f64_rank1 result0; /* tensor<4xf64> */
// HEADER-NEXT:   float result1; /* f32 */
// HEADER-NEXT:   hymir_memref_f64_rank1 result2; /* tensor<4xf64> */
// HEADER-NEXT:   hymir_memref_f64_rank1 result3; /* tensor<4xf64> */
// HEADER-NEXT: } hymir_mixed_results;
// HEADER:        if (p3 != p0 && p3 != p2)
// HEADER-NEXT:     free(p3);
// HEADER: void _mlir_ciface_mixed(hymir_mixed_results *results,
// HEADER: void _mlir_ciface_square0(hymir_memref_f32_rank0 *result,
// HEADER: void _mlir_ciface_nothing(const hymir_memref_i32_rank1 *int_);
// HEADER-NOT: helper

// RUN: %cc22 -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -I%t %S/Inputs/abi.c %t/abi.o -o %t/abi
// RUN: %t/abi | FileCheck %s
// CHECK: twice ok
// CHECK-NEXT: axpb ok
// CHECK-NEXT: mixed ok, results 2 and 3 share a buffer
// CHECK-NEXT: square0 ok
// CHECK-NEXT: nothing ok

func.func @twice(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %y = arith.addf %x, %x : tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

func.func @axpb(%a: f32, %x: f32, %n: i64) -> f32 {
  %nf = arith.sitofp %n : i64 to f32
  %ax = arith.mulf %a, %x : f32
  %y = arith.addf %ax, %nf : f32
  return %y : f32
}

// The argument returned as is comes back as a copy; the value returned twice
// is one buffer behind two descriptors.
func.func @mixed(%x: tensor<4xf64>, %s: f32)
    -> (tensor<4xf64>, f32, tensor<4xf64>, tensor<4xf64>) {
  %t = arith.addf %s, %s : f32
  %y = arith.mulf %x, %x : tensor<4xf64>
  return %x, %t, %y, %y : tensor<4xf64>, f32, tensor<4xf64>, tensor<4xf64>
}

func.func @square0(%x: tensor<f32>) -> tensor<f32> {
  %y = arith.mulf %x, %x : tensor<f32>
  return %y : tensor<f32>
}

func.func @nothing(%int: tensor<2xi32>) {
  return
}

func.func private @helper(%x: f32) -> f32 {
  return %x : f32
}
