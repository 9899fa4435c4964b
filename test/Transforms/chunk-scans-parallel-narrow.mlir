// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false parallel-chunks=true only-narrow-inputs=true parallel-chunk-size=32 remarks=true" -verify-diagnostics -o /dev/null
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false parallel-chunks=true remarks=true" 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: not hymir-opt %s --hymir-chunk-scans="parallel-chunks=true parallel-chunk-size=-1" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false parallel-chunks=true narrow-states=true remarks=true" 2>&1 | FileCheck %s --check-prefix=STATES

// hymir-chunk-scans with only-narrow-inputs (the CUDA pipeline's
// parallel-chunks=auto under tensor-cores=auto): the parallel-chunks form,
// with its own chunk length, only in functions that take bf16/f16
// arguments, whose products run on tensor cores; an f32 function keeps the
// sequential chunk loop and chunk-size.

func.func @narrow(%q: tensor<?x?x2x6xbf16>, %k: tensor<?x?x2x6xbf16>,
                  %v: tensor<?x?x2x10xbf16>, %g: tensor<?x?x2xf32>,
                  %S0: tensor<?x2x6x10xf32>)
    -> (tensor<?x?x2x10xf32>, tensor<?x2x6x10xf32>) {
  %qf = arith.extf %q : tensor<?x?x2x6xbf16> to tensor<?x?x2x6xf32>
  %kf = arith.extf %k : tensor<?x?x2x6xbf16> to tensor<?x?x2x6xf32>
  %vf = arith.extf %v : tensor<?x?x2x10xbf16> to tensor<?x?x2x10xf32>
  // expected-remark @below {{chunked (masked matmul, C = 32, parallel chunks): scalar decay, rank-1 update, read}}
  %o, %S_T = hymir.scan heads = 2
      ins(%qf, %kf, %vf, %g : tensor<?x?x2x6xf32>, tensor<?x?x2x6xf32>, tensor<?x?x2x10xf32>,
          tensor<?x?x2xf32>)
      inits(%S0 : tensor<?x2x6x10xf32>) -> (tensor<?x?x2x10xf32>) {
  ^bb0(%q_t: tensor<6xf32>, %k_t: tensor<6xf32>, %v_t: tensor<10xf32>, %g_t: f32,
       %S: tensor<6x10xf32>):
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<6x10xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<6xf32>, tensor<10xf32> -> tensor<6x10xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<6x10xf32>
    %o_t = hymir.read %S_new, %q_t : tensor<6x10xf32>, tensor<6xf32> -> tensor<10xf32>
    hymir.yield %o_t, %S_new : tensor<10xf32>, tensor<6x10xf32>
  }
  return %o, %S_T : tensor<?x?x2x10xf32>, tensor<?x2x6x10xf32>
}

func.func @wide(%q: tensor<?x?x2x6xf32>, %k: tensor<?x?x2x6xf32>,
                %v: tensor<?x?x2x10xf32>, %g: tensor<?x?x2xf32>,
                %S0: tensor<?x2x6x10xf32>)
    -> (tensor<?x?x2x10xf32>, tensor<?x2x6x10xf32>) {
  // expected-remark @below {{chunked (masked matmul, C = 16): scalar decay, rank-1 update, read}}
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v, %g : tensor<?x?x2x6xf32>, tensor<?x?x2x6xf32>, tensor<?x?x2x10xf32>,
          tensor<?x?x2xf32>)
      inits(%S0 : tensor<?x2x6x10xf32>) -> (tensor<?x?x2x10xf32>) {
  ^bb0(%q_t: tensor<6xf32>, %k_t: tensor<6xf32>, %v_t: tensor<10xf32>, %g_t: f32,
       %S: tensor<6x10xf32>):
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<6x10xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<6xf32>, tensor<10xf32> -> tensor<6x10xf32>
    %S_new = arith.addf %S_decayed, %kv : tensor<6x10xf32>
    %o_t = hymir.read %S_new, %q_t : tensor<6x10xf32>, tensor<6xf32> -> tensor<10xf32>
    hymir.yield %o_t, %S_new : tensor<10xf32>, tensor<6x10xf32>
  }
  return %o, %S_T : tensor<?x?x2x10xf32>, tensor<?x2x6x10xf32>
}

// Without only-narrow-inputs every function takes the parallel form, at
// chunk-size when parallel-chunk-size is 0.
// ALL: remark: chunked (masked matmul, C = 16, parallel chunks)
// ALL: remark: chunked (masked matmul, C = 16, parallel chunks)

// NEG: error: hymir-chunk-scans: parallel-chunk-size must be >= 0

// narrow-states: in the function with bf16 arguments the state pass records
// each chunk's incoming state as bf16, converted into its workspace slice,
// and the outputs widen it back; the f32 function keeps f32 records.
// STATES: remark: chunked (masked matmul, C = 16, parallel chunks, bf16 states)
// STATES: remark: chunked (masked matmul, C = 16, parallel chunks): scalar decay
// STATES-LABEL: func.func @narrow
// STATES: tensor.empty({{.*}}) : tensor<?x2x?x6x10xbf16>
// STATES: scf.for
// STATES: %[[SLOT:.*]] = tensor.extract_slice %{{.*}} : tensor<?x6x10xbf16> to tensor<6x10xbf16>
// STATES: linalg.generic {{.*}} ins(%{{.*}} : tensor<6x10xf32>) outs(%[[SLOT]] : tensor<6x10xbf16>)
// STATES-NEXT: ^bb0
// STATES-NEXT: arith.truncf %{{.*}} : f32 to bf16
// STATES: tensor.extract_slice %{{.*}} : tensor<?x2x?x6x10xbf16> to tensor<6x10xbf16>
// STATES: linalg.generic {{.*}} ins(%{{.*}} : tensor<6x10xbf16>) outs(%{{.*}} : tensor<6x10xf32>)
// STATES-NEXT: ^bb0
// STATES-NEXT: arith.extf %{{.*}} : bf16 to f32
// STATES-LABEL: func.func @wide
// STATES-NOT: bf16
// STATES: return
