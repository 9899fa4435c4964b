// RUN: hymir-opt %s --hymir-cpu-pipeline | FileCheck %s
// RUN: hymir-opt %s --hymir-cpu-pipeline | FileCheck %s --check-prefix=LEFT
// RUN: hymir-opt %s --hymir-cpu-pipeline="chunk-size=32 threads=2 fusion=false" | FileCheck %s
// RUN: hymir-opt %s --hymir-cpu-pipeline="threads=2" | FileCheck %s --check-prefix=OMP
// RUN: hymir-opt %s --hymir-cpu-pipeline="threads=0" | FileCheck %s --check-prefix=OMP0
// RUN: hymir-opt %s --hymir-cpu-pipeline="polynomial-math=false" | FileCheck %s --check-prefix=LIBM

// hymir-cpu-pipeline takes every hymir op (and the upstream ops around them)
// to the LLVM dialect. Public functions get a _mlir_ciface_ wrapper; private
// helpers and external declarations do not. fusion is accepted (it selects
// nothing yet; chunk-size: cpu-pipeline-chunked.mlir); threads = 1 (the default) runs the
// (b, h) loops of scans, recurrences and attention in order, any other value
// as OpenMP work-sharing loops with that many threads (0: the OpenMP
// default).

// f32 exp, expm1 and tanh are polynomials (hymir-polynomial-math), not libm
// calls; with polynomial-math=false they call libm (the scalar copies of
// loops; vectorized ones call libmvec's variants after LLVM's vectorizer).
// LEFT-NOT: @{{(expf|expm1f|tanhf)}}
// LIBM-DAG: llvm.func @expf(f32) -> f32
// LIBM-DAG: llvm.func @expm1f(f32) -> f32
// LIBM-DAG: llvm.func @tanhf(f32) -> f32

// With one thread no OpenMP is involved.
// LEFT-NOT: omp.

// Nothing but the LLVM dialect is left anywhere in the output.
// LEFT-NOT: hymir.
// LEFT-NOT: linalg.
// LEFT-NOT: tensor.
// LEFT-NOT: memref.
// LEFT-NOT: bufferization.
// LEFT-NOT: scf.
// LEFT-NOT: {{ (arith|math|cf|func|affine|ub)\.}}
// LEFT-NOT: unrealized_conversion_cast

// CHECK-DAG: llvm.func @aligned_alloc(i64, i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @free(!llvm.ptr)
// CHECK-DAG: llvm.func @external_kernel(f32) -> f32
// CHECK-DAG: llvm.func @main(
// CHECK-DAG: llvm.func @_mlir_ciface_main(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr
// CHECK-DAG: llvm.func @decode(
// CHECK-DAG: llvm.func @_mlir_ciface_decode(
// CHECK-DAG: llvm.func @helper(
// CHECK-NOT: llvm.func @_mlir_ciface_helper
// CHECK-NOT: llvm.func @_mlir_ciface_external_kernel

// One parallel region per scan, recurrence and attention (3 in @main, the
// decode attention in @decode), each a work-sharing loop over (b, h) (or b
// alone: the recurrence has no heads).
// OMP-LABEL: llvm.func @main(
// OMP: omp.parallel num_threads(%{{.+}} : i32)
// OMP: omp.parallel num_threads(%{{.+}} : i32)
// OMP: omp.parallel num_threads(%{{.+}} : i32)
// OMP-NOT: omp.parallel
// OMP-LABEL: llvm.func @decode(
// OMP: omp.parallel num_threads
// OMP: omp.wsloop
// OMP: omp.loop_nest (%{{.+}}, %{{.+}}) : i64 = {{.+}} collapse(2)
// OMP-NOT: scf.
// threads = 0 leaves the count to the OpenMP runtime.
// OMP0-NOT: num_threads
// OMP0: omp.parallel

func.func private @external_kernel(f32) -> f32

func.func private @helper(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %y = math.expm1 %x : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

func.func @main(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf32>, %cs: tensor<?x3x8xf32>,
                %q: tensor<?x?x2x4xf32>, %k: tensor<?x?x1x4xf32>, %v: tensor<?x?x2x4xf32>,
                %g: tensor<?x?x2xf32>, %s0: tensor<?x2x4x4xf32>, %h0: tensor<?x8xf32>,
                %rw: tensor<8xf32>, %phi: tensor<?x?x2x2xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x3x8xf32>, tensor<?x?x2x4xf32>, tensor<?x2x4x4xf32>,
        tensor<?x?x8xf32>, tensor<?x8xf32>, tensor<?x?x2x4xf32>) {
  // Short conv with state and SiLU, then a norm on the whole sequence.
  %y, %cs1 = hymir.causal_conv1d %x, %w state(%cs) {activation = #hymir.activation<silu>}
      : tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<?x3x8xf32> -> tensor<?x?x8xf32>, tensor<?x3x8xf32>
  %yn = hymir.rms_norm %y, %rw {eps = 1.0e-06 : f32} : tensor<?x?x8xf32>, tensor<8xf32>
  %ye = func.call @helper(%yn) : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  // A gated linear-attention scan with GQA-mapped q and k, rotary on q.
  %qr = hymir.rotary %q, %phi {interleaved} : tensor<?x?x2x4xf32>, tensor<?x?x2x2xf32>
  %o, %s = hymir.scan heads = 2
      ins(%qr, %k, %v, %g : tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2xf32>)
      inits(%s0 : tensor<?x2x4x4xf32>) -> (tensor<?x?x2x4xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<4xf32>, %gt: f32, %st: tensor<4x4xf32>):
    %a = math.exp %gt : f32
    %sd = hymir.scale %st, %a : tensor<4x4xf32>, f32
    %kn = hymir.l2_norm %kt {eps = 1.0e-06 : f32} : tensor<4xf32>
    %kv = hymir.outer %kn, %vt : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %sd, %kv : tensor<4x4xf32>
    %ot = hymir.read %sn, %qt : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %ot, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  // A non-linear recurrence with tanh and layer norm.
  %h, %hT = hymir.recurrence ins(%ye : tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>)
      -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %ht: tensor<8xf32>):
    %z = arith.addf %xt, %ht : tensor<8xf32>
    %zn = hymir.layer_norm %z {eps = 1.0e-06 : f32} : tensor<8xf32>
    %n = math.tanh %zn : tensor<8xf32>
    hymir.yield %n, %n : tensor<8xf32>, tensor<8xf32>
  }
  // Causal sliding-window attention with MQA and a softcap.
  %att = hymir.attention %q, %k, %k {causal, window = 4 : i64, softcap = 30.0 : f32}
      : tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32> -> tensor<?x?x2x4xf32>
  return %ye, %cs1, %o, %s, %h, %hT, %att
      : tensor<?x?x8xf32>, tensor<?x3x8xf32>, tensor<?x?x2x4xf32>, tensor<?x2x4x4xf32>,
        tensor<?x?x8xf32>, tensor<?x8xf32>, tensor<?x?x2x4xf32>
}

func.func @decode(%q: tensor<?x2x4xf32>, %kc: tensor<?x?x1x4xf32>, %vc: tensor<?x?x1x4xf32>,
                  %lens: tensor<?xi64>, %c: f32) -> tensor<?x2x4xf32> {
  %o = hymir.attention_decode %q, %kc, %vc lengths(%lens : tensor<?xi64>)
      : tensor<?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32> -> tensor<?x2x4xf32>
  %e = func.call @external_kernel(%c) : (f32) -> f32
  %os = hymir.scale %o, %e : tensor<?x2x4xf32>, f32
  return %os : tensor<?x2x4xf32>
}
