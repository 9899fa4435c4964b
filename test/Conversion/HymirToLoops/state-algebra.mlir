// RUN: hymir-opt %s --hymir-convert-hymir-to-loops -split-input-file | FileCheck %s

// The per-step ops and the norms become linalg.generic on tensors; reductions
// start from a linalg.fill of 0 and accumulate in f32 or wider.

// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>

// Scalar factor: captured in the body; 1-D factors: broadcast along the axis.
// CHECK-LABEL: func.func @scale_scalar_rows_cols
// CHECK-SAME: (%[[S:[a-z0-9]+]]: tensor<4x6xf32>, %[[A:[a-z0-9]+]]: f32, %[[R:[a-z0-9]+]]: tensor<4xf32>, %[[C:[a-z0-9]+]]: tensor<6xf32>)
// CHECK: %[[S1:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[S]] : tensor<4x6xf32>)
// CHECK:   arith.mulf %{{.+}}, %[[A]] : f32
// CHECK: %[[S2:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[S1]], %[[R]] : tensor<4x6xf32>, tensor<4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[COL]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[S2]], %[[C]] : tensor<4x6xf32>, tensor<6xf32>)
func.func @scale_scalar_rows_cols(%s: tensor<4x6xf32>, %a: f32, %r: tensor<4xf32>, %c: tensor<6xf32>) -> tensor<4x6xf32> {
  %s1 = hymir.scale %s, %a : tensor<4x6xf32>, f32
  %s2 = hymir.scale %s1, %r along rows : tensor<4x6xf32>, tensor<4xf32>
  %s3 = hymir.scale %s2, %c along cols : tensor<4x6xf32>, tensor<6xf32>
  return %s3 : tensor<4x6xf32>
}

// -----

// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[RK:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[RV:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[KV:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>

// Rank 1: y[i, j] = a[i] b[j]. Rank 2: a reduction over r, the outermost
// dim (loops r, i, j: the inner loop runs along a row of y, no reordering).
// CHECK-LABEL: func.func @outer_rank1_rank2
// CHECK: linalg.generic {indexing_maps = [#[[ROW]], #[[COL]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK: %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4x6xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[RK]], #[[RV]], #[[KV]]], iterator_types = ["reduction", "parallel", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<2x4xf32>, tensor<2x6xf32>) outs(%[[Z]] : tensor<4x6xf32>)
// CHECK:   arith.mulf %{{.+}}, %{{.+}} fastmath<contract> : f32
// CHECK:   arith.addf %{{.+}}, %{{.+}} fastmath<contract> : f32
func.func @outer_rank1_rank2(%k: tensor<4xf32>, %v: tensor<6xf32>, %ks: tensor<2x4xf32>, %vs: tensor<2x6xf32>)
    -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %a = hymir.outer %k, %v : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
  %b = hymir.outer %ks, %vs : tensor<2x4xf32>, tensor<2x6xf32> -> tensor<4x6xf32>
  return %a, %b : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[D0:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[D1:.+]] = affine_map<(d0, d1) -> (d1)>

// rows (default): y[j] = Σ_i S[i, j] x[i], with i outer and j inner (a row of
// S at a time: contiguous, no reordering; multiply-adds may contract);
// cols: y[i] = Σ_j S[i, j] x[j], an inner contiguous reduction that may also
// be reassociated (vector partial sums).
// CHECK-LABEL: func.func @read_rows_cols
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[D0]], #[[D1]]], iterator_types = ["reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<4x6xf32>, tensor<4xf32>) outs(%{{.+}} : tensor<6xf32>)
// CHECK:   arith.addf %{{.+}}, %{{.+}} fastmath<contract> : f32
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[D1]], #[[D0]]], iterator_types = ["parallel", "reduction"]} ins(%{{.+}}, %{{.+}} : tensor<4x6xf32>, tensor<6xf32>) outs(%{{.+}} : tensor<4xf32>)
// CHECK:   arith.addf %{{.+}}, %{{.+}} fastmath<reassoc,contract> : f32
func.func @read_rows_cols(%s: tensor<4x6xf32>, %q: tensor<4xf32>, %x: tensor<6xf32>) -> (tensor<6xf32>, tensor<4xf32>) {
  %a = hymir.read %s, %q : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
  %b = hymir.read %s, %x along cols : tensor<4x6xf32>, tensor<6xf32> -> tensor<4xf32>
  return %a, %b : tensor<6xf32>, tensor<4xf32>
}

// -----

// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1) -> ()>

// Full reductions into a 0-d tensor, then tensor.extract.
// CHECK-LABEL: func.func @dot_sum
// CHECK: %[[D:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]], #[[SCALAR]]], iterator_types = ["reduction", "reduction"]} {{.+}} outs(%{{.+}} : tensor<f32>)
// CHECK: tensor.extract %[[D]][] : tensor<f32>
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[SCALAR]]], iterator_types = ["reduction", "reduction"]} {{.+}} outs(%{{.+}} : tensor<f32>)
// CHECK: tensor.extract %[[S]][] : tensor<f32>
func.func @dot_sum(%a: tensor<4x6xf32>, %b: tensor<4x6xf32>) -> (f32, f32) {
  %d = hymir.dot %a, %b : tensor<4x6xf32>, tensor<4x6xf32> -> f32
  %s = hymir.sum %a : tensor<4x6xf32> -> f32
  return %d, %s : f32, f32
}

// -----

// CHECK-DAG: #[[M:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[Y:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>

// y[a, ...] = Σ_l M[a, l] x[l, ...], with l right after a so that the inner
// loops run along the trailing dims.
// CHECK-LABEL: func.func @mix
// CHECK: linalg.generic {indexing_maps = [#[[M]], #[[X]], #[[Y]]], iterator_types = ["parallel", "reduction", "parallel", "parallel"]}
func.func @mix(%m: tensor<3x3xf32>, %x: tensor<3x4x6xf32>) -> tensor<3x4x6xf32> {
  %y = hymir.mix %m, %x : tensor<3x3xf32>, tensor<3x4x6xf32> -> tensor<3x4x6xf32>
  return %y : tensor<3x4x6xf32>
}

// -----

// A gather over the output: the partner is n ^ 1 (interleaved) or n ± R
// (rotate-half); elements n ≥ 2R pass through; works on whole sequences.
// CHECK-LABEL: func.func @rotary_interleaved_half
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x?x8xf32>, %[[P:[a-z0-9]+]]: tensor<?x?x3xf32>)
// CHECK-DAG: %[[C6:.+]] = arith.constant 6 : index
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<?x?x8xf32>)
// CHECK:   %[[I0:.+]] = linalg.index 0 : index
// CHECK:   %[[I1:.+]] = linalg.index 1 : index
// CHECK:   %[[N:.+]] = linalg.index 2 : index
// CHECK:   %[[ROT:.+]] = arith.cmpi ult, %[[N]], %[[C6]] : index
// CHECK:   %[[PARTNER:.+]] = arith.xori %[[N]], %c1 : index
// CHECK:   tensor.extract %[[X]][%[[I0]], %[[I1]], %{{.+}}] : tensor<?x?x8xf32>
// CHECK:   tensor.extract %[[P]][%[[I0]], %[[I1]], %{{.+}}] : tensor<?x?x3xf32>
// CHECK:   math.cos
// CHECK:   math.sin
// CHECK: linalg.generic
// CHECK:   arith.cmpi ult, %{{.+}}, %c3 : index
// CHECK-NOT: arith.xori
// CHECK: return
func.func @rotary_interleaved_half(%x: tensor<?x?x8xf32>, %p: tensor<?x?x3xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %a = hymir.rotary %x, %p {interleaved} : tensor<?x?x8xf32>, tensor<?x?x3xf32>
  %b = hymir.rotary %x, %p : tensor<?x?x8xf32>, tensor<?x?x3xf32>
  return %a, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// l2: x / sqrt(Σ x² + eps), one reduction over the last dim.
// CHECK-LABEL: func.func @l2_norm
// CHECK-DAG: %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
// CHECK: %[[SS:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<?x?x12xf32>) outs(%{{.+}} : tensor<?x?xf32>)
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.+}}, %[[SS]] : tensor<?x?x12xf32>, tensor<?x?xf32>)
// CHECK: ^bb0(%[[XI:.+]]: f32, %[[SI:.+]]: f32, %{{.+}}: f32):
// CHECK:   %[[ADD:.+]] = arith.addf %[[SI]], %[[EPS]] : f32
// CHECK:   %[[DEN:.+]] = math.sqrt %[[ADD]] : f32
// CHECK:   arith.divf %[[XI]], %[[DEN]] : f32
func.func @l2_norm(%x: tensor<?x?x12xf32>) -> tensor<?x?x12xf32> {
  %y = hymir.l2_norm %x {eps = 1.0e-06 : f32} : tensor<?x?x12xf32>
  return %y : tensor<?x?x12xf32>
}

// -----

// Layer norm: two passes (sum, then Σ (x − mean)²) and a normalising generic.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[SUM:.+]] = linalg.generic {{.+}} iterator_types = ["reduction"]} ins(%{{.+}} : tensor<20xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK: %[[SQ:.+]] = linalg.generic {{.+}} iterator_types = ["reduction"]} ins(%{{.+}}, %[[SUM]] : tensor<20xf32>, tensor<f32>) outs(%{{.+}} : tensor<f32>)
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel"]} ins(%{{.+}}, %[[SUM]], %[[SQ]] : tensor<20xf32>, tensor<f32>, tensor<f32>)
func.func @layer_norm(%x: tensor<20xf32>) -> tensor<20xf32> {
  %y = hymir.layer_norm %x {eps = 1.0e-06 : f32} : tensor<20xf32>
  return %y : tensor<20xf32>
}

// -----

// RMS norm on bf16: the sum of squares is accumulated in f32 and the result
// truncated back; the weight is broadcast along the last dim.
// CHECK-DAG: #[[LAST:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @rms_norm_bf16
// CHECK: %[[SS:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<?x?x8xbf16>) outs(%{{.+}} : tensor<?x?xf32>)
// CHECK:   arith.extf %{{.+}} : bf16 to f32
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #[[LAST]], #{{.+}}], {{.+}} ins(%{{.+}}, %[[SS]], %{{.+}} : tensor<?x?x8xbf16>, tensor<?x?xf32>, tensor<8xbf16>) outs(%{{.+}} : tensor<?x?x8xbf16>)
// CHECK:   arith.truncf %{{.+}} : f32 to bf16
func.func @rms_norm_bf16(%x: tensor<?x?x8xbf16>, %w: tensor<8xbf16>) -> tensor<?x?x8xbf16> {
  %y = hymir.rms_norm %x, %w {eps = 1.0e-05 : f32} : tensor<?x?x8xbf16>, tensor<8xbf16>
  return %y : tensor<?x?x8xbf16>
}
