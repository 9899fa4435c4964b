// RUN: hymir-opt %s --hymir-convert-hymir-to-loops=value-tile=16 --convert-elementwise-to-linalg --hymir-vectorize-value-tiles -split-input-file | FileCheck %s

// The delta rule on value tiles of 16 columns (V = 32: 2 tiles): the rows of
// each [8, 16] tile are vector<16xf32> loads and stores, not loops of 16
// scalars that LLVM would unroll and vectorize over K with gathers.

// The initial state's copy into the result, row by row.
// CHECK-LABEL: func.func @delta_rule
// CHECK: scf.forall
// CHECK: scf.for %[[J0:.+]] = %{{.+}} to %c32 step %{{.+}}
// CHECK:   scf.for %[[I:.+]] = %{{.+}} to %c8
// CHECK:     %[[ROW:.+]] = vector.transfer_read %{{.+}}[%[[I]], %[[J0]]], %{{.+}} {in_bounds = [true]} : tensor<8x32xf32>, vector<16xf32>
// CHECK:     vector.transfer_write %[[ROW]], %{{.+}}[%[[I]], %[[J0]]] {in_bounds = [true]} : vector<16xf32>, tensor<8x32xf32>
// The decay a · S of a tile: the scalar a broadcast.
// CHECK: scf.for %{{.+}} = %c0 to %c2
// CHECK:   %[[TILE:.+]] = tensor.extract_slice %{{.+}}[0, %{{.+}}] [8, 16] [1, 1] : tensor<8x32xf32> to tensor<8x16xf32>
// CHECK:   vector.transfer_read %[[TILE]]
// CHECK:   vector.broadcast %{{.+}} : f32 to vector<16xf32>
// CHECK:   arith.mulf %{{.+}}, %{{.+}} : vector<16xf32>
// The read Sᵀk: the accumulator row stays in a register over the K rows.
// CHECK:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %{{.+}}) -> (vector<16xf32>)
// CHECK:     vector.transfer_read %{{.+}} : tensor<8x16xf32>, vector<16xf32>
// CHECK:     tensor.extract %{{.+}} : tensor<8xf32>
// CHECK:     %[[P:.+]] = arith.mulf %{{.+}}, %{{.+}} fastmath<contract> : vector<16xf32>
// CHECK:     %[[S:.+]] = arith.addf %[[ACC]], %[[P]] fastmath<contract> : vector<16xf32>
// CHECK:     scf.yield %[[S]] : vector<16xf32>
// CHECK:   vector.transfer_write %{{.+}} : vector<16xf32>, tensor<16xf32>
// CHECK: hymir.value_tiles
func.func @delta_rule(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x32xf32>,
                      %g: tensor<?x?xf32>, %S0: tensor<?x8x32xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x8x32xf32>) {
  %o, %S = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x32xf32>, tensor<?x?xf32>)
      inits(%S0 : tensor<?x8x32xf32>) -> (tensor<?x?x32xf32>) {
  ^bb0(%q_t: tensor<8xf32>, %k_t: tensor<8xf32>, %v_t: tensor<32xf32>, %g_t: f32, %s: tensor<8x32xf32>):
    %a = math.exp %g_t : f32
    %sd = hymir.scale %s, %a : tensor<8x32xf32>, f32
    %p = hymir.read %sd, %k_t : tensor<8x32xf32>, tensor<8xf32> -> tensor<32xf32>
    %e = arith.subf %v_t, %p : tensor<32xf32>
    %ku = hymir.outer %k_t, %e : tensor<8xf32>, tensor<32xf32> -> tensor<8x32xf32>
    %sn = arith.addf %sd, %ku : tensor<8x32xf32>
    %o_t = hymir.read %sn, %q_t : tensor<8x32xf32>, tensor<8xf32> -> tensor<32xf32>
    hymir.yield %o_t, %sn : tensor<32xf32>, tensor<8x32xf32>
  }
  return %o, %S : tensor<?x?x32xf32>, tensor<?x8x32xf32>
}

// -----

// Tiles of 20 columns (V = 40): not a multiple of the vector width, so the
// tile ops stay linalg.generic (convert-linalg-to-loops lowers them).
// CHECK-LABEL: func.func @delta_rule_20
// CHECK-NOT: vector.transfer_read
// CHECK: linalg.generic {{.+}} ins(%{{.+}} : tensor<8x20xf32>) outs(%{{.+}} : tensor<8x20xf32>)
// CHECK-NOT: vector.transfer_read
// CHECK: hymir.value_tiles
func.func @delta_rule_20(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x40xf32>,
                      %g: tensor<?x?xf32>, %S0: tensor<?x8x40xf32>)
    -> (tensor<?x?x40xf32>, tensor<?x8x40xf32>) {
  %o, %S = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x40xf32>, tensor<?x?xf32>)
      inits(%S0 : tensor<?x8x40xf32>) -> (tensor<?x?x40xf32>) {
  ^bb0(%q_t: tensor<8xf32>, %k_t: tensor<8xf32>, %v_t: tensor<40xf32>, %g_t: f32, %s: tensor<8x40xf32>):
    %a = math.exp %g_t : f32
    %sd = hymir.scale %s, %a : tensor<8x40xf32>, f32
    %p = hymir.read %sd, %k_t : tensor<8x40xf32>, tensor<8xf32> -> tensor<40xf32>
    %e = arith.subf %v_t, %p : tensor<40xf32>
    %ku = hymir.outer %k_t, %e : tensor<8xf32>, tensor<40xf32> -> tensor<8x40xf32>
    %sn = arith.addf %sd, %ku : tensor<8x40xf32>
    %o_t = hymir.read %sn, %q_t : tensor<8x40xf32>, tensor<8xf32> -> tensor<40xf32>
    hymir.yield %o_t, %sn : tensor<40xf32>, tensor<8x40xf32>
  }
  return %o, %S : tensor<?x?x40xf32>, tensor<?x8x40xf32>
}
