// RUN: hymir-opt %s --hymir-vectorize-chunk-matmuls -split-input-file | FileCheck %s
// RUN: hymir-opt %s --hymir-vectorize-chunk-matmuls="tile-rows=4 tile-cols=16" -split-input-file | FileCheck %s --check-prefix=SMALL

// The chunked scans' products C[i, j] += Σ_r A[i, r] B[r, j] become
// MR × NR register tiles: MR vector<NR> accumulators carried through the
// reduction loop, one vector load of B and MR broadcasts + FMAs per step.

#a = affine_map<(i, r, j) -> (i, r)>
#b = affine_map<(i, r, j) -> (r, j)>
#c = affine_map<(i, r, j) -> (i, j)>

// CHECK-LABEL: func.func @tile
// CHECK:       scf.for %[[I0:.+]] = %c0 to %c16 step %c8 iter_args(%[[C0:.+]] = %arg2)
// CHECK:         scf.for %[[J0:.+]] = %c0 to %c64 step %c32 iter_args(%[[C1:.+]] = %[[C0]])
// CHECK-COUNT-8:   vector.transfer_read %[[C1]][%{{.+}}, %[[J0]]]{{.+}} : tensor<16x64xf32>, vector<32xf32>
// CHECK:           scf.for %[[R:.+]] = %c0 to %c4 step %c1 iter_args({{.+}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK:             %[[B:.+]] = vector.transfer_read %arg1[%[[R]], %[[J0]]]
// CHECK:             %[[A:.+]] = tensor.extract %arg0[%[[I0]], %[[R]]]
// CHECK:             %[[SPLAT:.+]] = vector.broadcast %[[A]] : f32 to vector<32xf32>
// CHECK:             vector.fma %[[SPLAT]], %[[B]], %{{.+}} : vector<32xf32>
// CHECK-COUNT-7:     vector.fma
// CHECK-COUNT-8:   vector.transfer_write
// The row loop is tagged for hymir-prefetch-chunk-rows.
// CHECK:       } {hymir.chunk_tiles}
// CHECK-NOT:   linalg.generic
// SMALL-LABEL: func.func @tile
// SMALL:       step %c4
// SMALL:       step %c16
// SMALL-COUNT-4: vector.fma {{.+}} : vector<16xf32>
func.func @tile(%a: tensor<16x4xf32>, %b: tensor<4x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<16x4xf32>, tensor<4x64xf32>) outs(%c : tensor<16x64xf32>)
      attrs = {hymir.chunk_matmul} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

// A read as A[r, i] (the state update's Kᵀ), B as B[j, r] (Q Kᵀ: transposed
// once), tile sizes that divide odd shapes (6 rows: MR = 6; 10 columns:
// NR = 2), and a lower-triangular A: the reduction stops at the tile's last row.
#at = affine_map<(i, j, r) -> (r, i)>
#bt = affine_map<(i, j, r) -> (j, r)>
#ct = affine_map<(i, j, r) -> (i, j)>
// CHECK-LABEL: func.func @layouts
// CHECK:       %[[BT:.+]] = linalg.transpose ins(%arg1 : tensor<10x5xf32>) outs(%{{.+}} : tensor<5x10xf32>) permutation = [1, 0]
// CHECK:       scf.for %[[I0:.+]] = %c0 to %c6 step %c6
// CHECK:         scf.for %[[J0:.+]] = %c0 to %c10 step %c2
// CHECK:           %[[END:.+]] = arith.addi %[[I0]], %c6
// CHECK:           %[[REND:.+]] = arith.minui %[[END]], %c5
// CHECK:           scf.for %[[R:.+]] = %c0 to %[[REND]] step %c1
// CHECK:             vector.transfer_read %[[BT]][%[[R]], %[[J0]]]
// CHECK:             tensor.extract %arg0[%[[R]], %[[I0]]]
func.func @layouts(%a: tensor<5x6xf32>, %b: tensor<10x5xf32>, %c: tensor<6x10xf32>) -> tensor<6x10xf32> {
  %r = linalg.generic {indexing_maps = [#at, #bt, #ct], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<5x6xf32>, tensor<10x5xf32>) outs(%c : tensor<6x10xf32>)
      attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  } -> tensor<6x10xf32>
  return %r : tensor<6x10xf32>
}

// -----

// Untagged products, and tagged generics of another shape, stay generics.
#a = affine_map<(i, r, j) -> (i, r)>
#b = affine_map<(i, r, j) -> (r, j)>
#c = affine_map<(i, r, j) -> (i, j)>
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT:   vector.fma
func.func @left_alone(%a: tensor<16x4xf32>, %b: tensor<4x64xf32>, %c: tensor<16x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<16x4xf32>, tensor<4x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  %q = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<16x4xf32>, tensor<4x64xf32>) outs(%c : tensor<16x64xf32>)
      attrs = {hymir.chunk_matmul} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.subf %z, %m : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %r, %q : tensor<16x64xf32>, tensor<16x64xf32>
}

// -----

// B read as B[j, r] with both dims multiples of 16 (Q Kᵀ at C = 32, K = 48):
// the transpose is done by 16 × 16 blocks in registers (16 row loads, four
// rounds of 16 interleaving shuffles, 16 row stores) instead of
// linalg.transpose (an element loop, gathers).
#at2 = affine_map<(i, j, r) -> (i, r)>
#bt2 = affine_map<(i, j, r) -> (j, r)>
#ct2 = affine_map<(i, j, r) -> (i, j)>
// CHECK-LABEL: func.func @block_transpose
// CHECK-NOT:   linalg.transpose
// CHECK:       %[[BT:.+]] = scf.for %[[I0:.+]] = %c0 to %c32 step %c16 iter_args(%[[D0:.+]] = %{{.+}}) -> (tensor<48x32xf32>)
// CHECK:         scf.for %[[J0:.+]] = %c0 to %c48 step %c16 iter_args(%[[D1:.+]] = %[[D0]]) -> (tensor<48x32xf32>)
// CHECK:           %[[ROW0:.+]] = vector.transfer_read %arg1[%[[I0]], %[[J0]]]{{.+}} : tensor<32x48xf32>, vector<16xf32>
// CHECK-COUNT-15:  vector.transfer_read %arg1
// CHECK:           vector.shuffle %[[ROW0]], %{{.+}} [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23]
// CHECK:           vector.shuffle %[[ROW0]], %{{.+}} [8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31]
// CHECK-COUNT-62:  vector.shuffle
// CHECK:           vector.transfer_write %{{.+}}, %[[D1]][%[[J0]], %[[I0]]]{{.+}} : vector<16xf32>, tensor<48x32xf32>
// CHECK-COUNT-15:  vector.transfer_write
// CHECK:       scf.for
// CHECK:             vector.transfer_read %[[BT]][%{{.+}}, %{{.+}}]
func.func @block_transpose(%a: tensor<32x48xf32>, %b: tensor<32x48xf32>, %c: tensor<32x32xf32>) -> tensor<32x32xf32> {
  %r = linalg.generic {indexing_maps = [#at2, #bt2, #ct2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<32x48xf32>, tensor<32x48xf32>) outs(%c : tensor<32x32xf32>)
      attrs = {hymir.chunk_matmul} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %z, %m : f32
    linalg.yield %s : f32
  } -> tensor<32x32xf32>
  return %r : tensor<32x32xf32>
}

// -----

// The state decay before the update, C0 · s[i] (a diagonal scan's per-key
// decay) or C0 · s (a scalar one), moves into the accumulator loads: no
// pass over the state of its own. Not where tiles above the diagonal are
// skipped (they would keep C0 unscaled).
#a = affine_map<(i, r, j) -> (i, r)>
#b = affine_map<(i, r, j) -> (r, j)>
#c = affine_map<(i, r, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#id = affine_map<(i, j) -> (i, j)>
// CHECK-LABEL: func.func @row_scale
// CHECK-NOT:   linalg.generic
// CHECK:       scf.for %[[I0:.+]] = %c0 to %c16 step %c8 iter_args(%[[C0:.+]] = %arg3)
// CHECK:         scf.for %[[J0:.+]] = %c0 to %c64 step %c32 iter_args(%[[C1:.+]] = %[[C0]])
// CHECK:           %[[ACC:.+]] = vector.transfer_read %[[C1]][%[[I0]], %[[J0]]]
// CHECK:           %[[S:.+]] = tensor.extract %arg2[%[[I0]]] : tensor<16xf32>
// CHECK:           %[[SPLAT:.+]] = vector.broadcast %[[S]] : f32 to vector<32xf32>
// CHECK:           arith.mulf %[[ACC]], %[[SPLAT]] : vector<32xf32>
// CHECK-COUNT-7:   arith.mulf {{.+}} : vector<32xf32>
// CHECK:           scf.for
// CHECK-NOT:   linalg.generic
func.func @row_scale(%a: tensor<16x4xf32>, %b: tensor<4x64xf32>, %s: tensor<16xf32>,
                     %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %decayed = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<16xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%f: f32, %z: f32):
    %m = arith.mulf %z, %f : f32
    linalg.yield %m : f32
  } -> tensor<16x64xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<16x4xf32>, tensor<4x64xf32>) outs(%decayed : tensor<16x64xf32>)
      attrs = {hymir.chunk_matmul} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s2 = arith.addf %z, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// CHECK-LABEL: func.func @scalar_scale
// CHECK-NOT:   linalg.generic
// CHECK:       vector.broadcast %arg2 : f32 to vector<32xf32>
// CHECK:       arith.mulf {{.+}} : vector<32xf32>
// CHECK-NOT:   linalg.generic
func.func @scalar_scale(%a: tensor<16x4xf32>, %b: tensor<4x64xf32>, %s: f32,
                        %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %decayed = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%c : tensor<16x64xf32>) {
  ^bb0(%z: f32):
    %m = arith.mulf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<16x64xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<16x4xf32>, tensor<4x64xf32>) outs(%decayed : tensor<16x64xf32>)
      attrs = {hymir.chunk_matmul} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s2 = arith.addf %z, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// A scaling whose result has another use, or that the product's skipped
// tiles would miss, stays.
// CHECK-LABEL: func.func @scale_kept
// CHECK:       linalg.generic
// CHECK:       scf.for
// CHECK-LABEL: func.func @scale_kept_lower
// CHECK:       linalg.generic
// CHECK:       scf.for
func.func @scale_kept(%a: tensor<16x4xf32>, %b: tensor<4x64xf32>, %s: f32,
                      %c: tensor<16x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %decayed = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%c : tensor<16x64xf32>) {
  ^bb0(%z: f32):
    %m = arith.mulf %z, %s : f32
    linalg.yield %m : f32
  } -> tensor<16x64xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<16x4xf32>, tensor<4x64xf32>) outs(%decayed : tensor<16x64xf32>)
      attrs = {hymir.chunk_matmul} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s2 = arith.addf %z, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<16x64xf32>
  return %r, %decayed : tensor<16x64xf32>, tensor<16x64xf32>
}

func.func @scale_kept_lower(%a: tensor<16x4xf32>, %b: tensor<4x16xf32>, %s: f32,
                            %c: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %decayed = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%c : tensor<16x16xf32>) {
  ^bb0(%z: f32):
    %m = arith.mulf %z, %s : f32
    linalg.yield %m : f32
  } -> tensor<16x16xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<16x4xf32>, tensor<4x16xf32>) outs(%decayed : tensor<16x16xf32>)
      attrs = {hymir.chunk_matmul, hymir.lower_triangular_result} {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    %s2 = arith.addf %z, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}
