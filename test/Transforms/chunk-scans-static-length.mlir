// RUN: hymir-opt %s --split-input-file --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false parallel-chunks=true" --canonicalize | FileCheck %s

// Where the chunk size divides a static T, every chunk is whole: its length
// is the constant C, not min(T - c C, C), so the row loops built from it
// keep constant trip counts (on the GPU, loops over each thread's rounds).
// At T = 37 the last chunk is short and the length stays a minimum.

// CHECK-LABEL: func.func @whole_chunks
// CHECK-NOT:   arith.minui
// CHECK:       return
func.func @whole_chunks(%q: tensor<1x32x2x12xf32>, %k: tensor<1x32x2x12xf32>,
                        %v: tensor<1x32x2x20xf32>, %S0: tensor<1x2x12x20xf32>)
    -> (tensor<1x32x2x20xf32>, tensor<1x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v : tensor<1x32x2x12xf32>, tensor<1x32x2x12xf32>, tensor<1x32x2x20xf32>)
      inits(%S0 : tensor<1x2x12x20xf32>) -> (tensor<1x32x2x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %S: tensor<12x20xf32>):
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S, %kv : tensor<12x20xf32>
    %o_t = hymir.read %S_new, %q_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<1x32x2x20xf32>, tensor<1x2x12x20xf32>
}

// -----

// CHECK-LABEL: func.func @short_last_chunk
// CHECK:       arith.minui
func.func @short_last_chunk(%q: tensor<1x37x2x12xf32>, %k: tensor<1x37x2x12xf32>,
                            %v: tensor<1x37x2x20xf32>, %S0: tensor<1x2x12x20xf32>)
    -> (tensor<1x37x2x20xf32>, tensor<1x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v : tensor<1x37x2x12xf32>, tensor<1x37x2x12xf32>, tensor<1x37x2x20xf32>)
      inits(%S0 : tensor<1x2x12x20xf32>) -> (tensor<1x37x2x20xf32>) {
  ^bb0(%q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %S: tensor<12x20xf32>):
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = arith.addf %S, %kv : tensor<12x20xf32>
    %o_t = hymir.read %S_new, %q_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<1x37x2x20xf32>, tensor<1x2x12x20xf32>
}
