// RUN: hymir-opt %s --hymir-cpu-pipeline="chunk-size=32" --mlir-disable-threading --mlir-print-ir-after=hymir-chunk-scans -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHUNKED
// RUN: hymir-opt %s --hymir-cpu-pipeline="chunk-size=0" --mlir-disable-threading --mlir-print-ir-after=hymir-convert-hymir-to-loops -o /dev/null 2>&1 | FileCheck %s --check-prefix=FALLBACK
// RUN: hymir-opt %s --hymir-cpu-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: hymir-opt %s --hymir-cpu-pipeline="chunk-size=32 diagonal-chunk-size=0" --mlir-disable-threading --mlir-print-ir-after=hymir-chunk-scans -o /dev/null 2>&1 | FileCheck %s --check-prefix=ONE

// hymir-cpu-pipeline's chunk-size: a scalar-class scan (simple GLA) takes the
// chunked form with chunks of that many steps, a diagonal-class scan (GLA)
// with chunks of diagonal-chunk-size (8 by default), or of chunk-size where
// that is 0 (at most 32: its halving levels with reference rows);
// chunk-size = 0 sends both to the fallback.
// Either way the module reaches the LLVM dialect.

// CHUNKED-LABEL: func.func @simple_gla
// CHUNKED-NOT:   hymir.scan
// CHUNKED:       arith.ceildivui %{{.+}}, %c32
// CHUNKED-COUNT-4: attrs = {hymir.chunk_matmul
// CHUNKED-LABEL: func.func @gla
// CHUNKED-NOT:   hymir.scan
// CHUNKED:       arith.ceildivui %{{.+}}, %c8
// CHUNKED:       attrs = {hymir.chunk_matmul
// ONE-LABEL:     func.func @gla
// ONE:           arith.ceildivui %{{.+}}, %c32
// ONE:           attrs = {hymir.chunk_matmul

// FALLBACK-NOT:  hymir.chunk_matmul
// FALLBACK-LABEL: func.func @simple_gla
// FALLBACK:      scf.forall
// FALLBACK-NOT:  hymir.chunk_matmul
// FALLBACK-LABEL: func.func @gla
// FALLBACK-NOT:  hymir.chunk_matmul

// LLVM: llvm.func @simple_gla(
// LLVM: llvm.func @gla(

func.func @simple_gla(%q: tensor<?x?x2x8xf32>, %k: tensor<?x?x2x8xf32>, %v: tensor<?x?x2x16xf32>,
                      %g: tensor<?x?x2xf32>, %S0: tensor<?x2x8x16xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x8x16xf32>) {
  %o, %S = hymir.scan heads = 2
      ins(%q, %k, %v, %g : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x16xf32>,
          tensor<?x?x2xf32>)
      inits(%S0 : tensor<?x2x8x16xf32>) -> (tensor<?x?x2x16xf32>) {
  ^bb0(%q_t: tensor<8xf32>, %k_t: tensor<8xf32>, %v_t: tensor<16xf32>, %g_t: f32,
       %s: tensor<8x16xf32>):
    %a = math.exp %g_t : f32
    %sd = hymir.scale %s, %a : tensor<8x16xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<8xf32>, tensor<16xf32> -> tensor<8x16xf32>
    %sn = arith.addf %sd, %kv : tensor<8x16xf32>
    %o_t = hymir.read %sn, %q_t : tensor<8x16xf32>, tensor<8xf32> -> tensor<16xf32>
    hymir.yield %o_t, %sn : tensor<16xf32>, tensor<8x16xf32>
  }
  return %o, %S : tensor<?x?x2x16xf32>, tensor<?x2x8x16xf32>
}

func.func @gla(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x16xf32>,
               %g: tensor<?x?x8xf32>, %S0: tensor<?x8x16xf32>)
    -> (tensor<?x?x16xf32>, tensor<?x8x16xf32>) {
  %o, %S = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x8xf32>, tensor<?x?x8xf32>,
                                         tensor<?x?x16xf32>, tensor<?x?x8xf32>)
      inits(%S0 : tensor<?x8x16xf32>) -> (tensor<?x?x16xf32>) {
  ^bb0(%q_t: tensor<8xf32>, %k_t: tensor<8xf32>, %v_t: tensor<16xf32>, %g_t: tensor<8xf32>,
       %s: tensor<8x16xf32>):
    %a = math.exp %g_t : tensor<8xf32>
    %sd = hymir.scale %s, %a along rows : tensor<8x16xf32>, tensor<8xf32>
    %kv = hymir.outer %k_t, %v_t : tensor<8xf32>, tensor<16xf32> -> tensor<8x16xf32>
    %sn = arith.addf %sd, %kv : tensor<8x16xf32>
    %o_t = hymir.read %sn, %q_t : tensor<8x16xf32>, tensor<8xf32> -> tensor<16xf32>
    hymir.yield %o_t, %sn : tensor<16xf32>, tensor<8x16xf32>
  }
  return %o, %S : tensor<?x?x16xf32>, tensor<?x8x16xf32>
}
