// RUN: hymir-opt %s --split-input-file --hymir-gpu-split-reductions="threads=128" | FileCheck %s

// hymir.read on a decode value tile: 16 outputs, 128 terms. With 128
// threads a block, each output's sum becomes 8 partial sums of 16 terms
// (k = 8 kk + r, r a parallel dimension after the outputs), then a sum of
// the 8 partials.

#read = [affine_map<(v, k) -> (k, v)>, affine_map<(v, k) -> (k)>, affine_map<(v, k) -> (v)>]

// CHECK-LABEL: func.func @read
// CHECK-SAME:    (%[[S:.+]]: tensor<128x16xf32>, %[[Q:.+]]: tensor<128xf32>)
// CHECK:         %[[INIT:.+]] = linalg.fill {{.+}} -> tensor<16xf32>
// CHECK-DAG:     %[[SX:.+]] = tensor.expand_shape %[[S]] {{\[}}[0, 1], [2]] output_shape [16, 8, 16]
// CHECK-DAG:     %[[QX:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1]] output_shape [16, 8]
// CHECK:         %[[PZ:.+]] = linalg.fill {{.+}} -> tensor<16x8xf32>
// CHECK:         %[[P:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[SX]], %[[QX]] : tensor<16x8x16xf32>, tensor<16x8xf32>) outs(%[[PZ]] : tensor<16x8xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         %[[R:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[P]] : tensor<16x8xf32>) outs(%[[INIT]] : tensor<16xf32>)
// CHECK:           arith.addf
// CHECK:         return %[[R]]
func.func @read(%S: tensor<128x16xf32>, %q: tensor<128xf32>) -> tensor<16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  %r = linalg.generic {indexing_maps = #read, iterator_types = ["parallel", "reduction"]}
      ins(%S, %q : tensor<128x16xf32>, tensor<128xf32>) outs(%f : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// 16 outputs of 100 terms: 8 partials would fit the block, but the ratio
// must divide the terms: 4 partials of 25.

// CHECK-LABEL: func.func @odd_terms
// CHECK:         tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2]] output_shape [16, 25, 4]
func.func @odd_terms(%x: tensor<16x100xf32>, %init: tensor<16xf32>) -> tensor<16xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<16x100xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%a: f32, %c: f32):
    %m = arith.mulf %a, %a : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// Left alone: a single sum (a block-wide sum later), too many outputs for
// the block (64 > 128 / 4), too few terms (32), and a chunk product.

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return
func.func @left_alone(%v: tensor<128xf32>, %s0: tensor<f32>, %w: tensor<64x128xf32>,
                      %i64: tensor<64xf32>, %n: tensor<16x32xf32>, %i16: tensor<16xf32>,
                      %a: tensor<32x128xf32>, %b: tensor<128x32xf32>, %c: tensor<32x32xf32>)
    -> (tensor<f32>, tensor<64xf32>, tensor<16xf32>, tensor<32x32xf32>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(k) -> (k)>, affine_map<(k) -> ()>],
                       iterator_types = ["reduction"]}
      ins(%v : tensor<128xf32>) outs(%s0 : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %1 = linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%w : tensor<64x128xf32>) outs(%i64 : tensor<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%n : tensor<16x32xf32>) outs(%i16 : tensor<16xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %3 = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (k, j)>,
                                        affine_map<(i, j, k) -> (i, j)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<32x128xf32>, tensor<128x32xf32>) outs(%c : tensor<32x32xf32>)
      attrs = {hymir.chunk_matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<32x32xf32>
  return %0, %1, %2, %3 : tensor<f32>, tensor<64xf32>, tensor<16xf32>, tensor<32x32xf32>
}

// -----

// Left alone: a sum whose payload reads the loop indices (the in-chunk
// cumulative log-decay G[i] = sum over j <= i of g[j]; here its first 16
// rows of a chunk of 64, so that 128 threads would split it).
// Upstream splitReduction renumbers the loops without remapping
// linalg.index, so the split sum would compare the partial-sum loop's
// index with i and add the wrong terms.

// CHECK-LABEL: func.func @causal_cumsum
// CHECK-NOT:     tensor.expand_shape
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:           linalg.index 1
// CHECK:           arith.cmpi ule
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @causal_cumsum(%g: tensor<64xf32>, %init: tensor<16xf32>) -> tensor<16xf32> {
  %z = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%g : tensor<64xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %le = arith.cmpi ule, %j, %i : index
    %t = arith.select %le, %x, %z : f32
    %s = arith.addf %acc, %t : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}
