// RUN: hymir-opt %s --hymir-fuse-state-reads -split-input-file | FileCheck %s

// hymir-fuse-state-reads: a decode step's update `S_new = a S + k ⊗ u` and
// its output read `o = S_newᵀq` become one loop nest with both outputs; the
// read takes the value as it is computed.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @update_then_read
// CHECK-SAME: (%[[S:[^:]+]]: tensor<4x6xf32>, %[[K:[^:]+]]: tensor<4xf32>, %[[U:[^:]+]]: tensor<6xf32>, %[[Q:[^:]+]]: tensor<4xf32>, %[[A:[^:]+]]: f32, %[[OUT:[^:]+]]: tensor<4x6xf32>)
// CHECK:      %[[F:.+]]:2 = linalg.generic
// CHECK-SAME:   iterator_types = ["reduction", "parallel"]
// CHECK-SAME:   ins(%[[S]], %[[K]], %[[U]], %[[Q]] :
// CHECK-SAME:   outs(%[[OUT]], %{{.+}} : tensor<4x6xf32>, tensor<6xf32>)
// CHECK:        %[[KU:.+]] = arith.mulf
// CHECK:        %[[AS:.+]] = arith.mulf %{{.+}}, %[[A]]
// CHECK:        %[[NEW:.+]] = arith.addf %[[AS]], %[[KU]]
// CHECK:        %[[P:.+]] = arith.mulf %[[NEW]], %{{.+}}
// CHECK:        %[[ACC:.+]] = arith.addf %{{.+}}, %[[P]]
// CHECK:        linalg.yield %[[NEW]], %[[ACC]] : f32, f32
// CHECK-NOT:  linalg.generic
// CHECK:      return %[[F]]#1, %[[F]]#0
func.func @update_then_read(%s: tensor<4x6xf32>, %k: tensor<4xf32>, %u: tensor<6xf32>,
                            %q: tensor<4xf32>, %a: f32, %out: tensor<4x6xf32>)
    -> (tensor<6xf32>, tensor<4x6xf32>) {
  %sn = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %k, %u : tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>) outs(%out : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %w: f32, %o: f32):
    %m = arith.mulf %y, %w : f32
    %d = arith.mulf %x, %a : f32
    %r = arith.addf %d, %m : f32
    linalg.yield %r : f32
  } -> tensor<4x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6xf32>) -> tensor<6xf32>
  %o = linalg.generic {indexing_maps = [#id, #row, #col], iterator_types = ["reduction", "parallel"]}
      ins(%sn, %q : tensor<4x6xf32>, tensor<4xf32>) outs(%z : tensor<6xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<6xf32>
  return %o, %sn : tensor<6xf32>, tensor<4x6xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// Left alone: a second reader of the update before the read (it would need
// the value before the fused loop nest has produced it), and a read along
// the other axis (`S q`: the loops (parallel, reduction) would revisit the
// update's elements in another order).
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT:  linalg.generic
func.func @kept(%s: tensor<4x6xf32>, %q: tensor<4xf32>, %p: tensor<6xf32>, %a: f32)
    -> (tensor<6xf32>, tensor<4x6xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4x6xf32>
  %sn = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y0: f32):
    %d = arith.mulf %x, %a : f32
    linalg.yield %d : f32
  } -> tensor<4x6xf32>
  %twice = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sn : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y0: f32):
    %d = arith.addf %x, %x : f32
    linalg.yield %d : f32
  } -> tensor<4x6xf32>
  %zero = arith.constant 0.0 : f32
  %e6 = tensor.empty() : tensor<6xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e6 : tensor<6xf32>) -> tensor<6xf32>
  %ok = linalg.generic {indexing_maps = [#id, #row, #col], iterator_types = ["reduction", "parallel"]}
      ins(%sn, %q : tensor<4x6xf32>, tensor<4xf32>) outs(%z : tensor<6xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<6xf32>
  %sm = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y0: f32):
    %d = arith.mulf %x, %x : f32
    linalg.yield %d : f32
  } -> tensor<4x6xf32>
  %e4 = tensor.empty() : tensor<4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<4xf32>) -> tensor<4xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%sm, %p : tensor<4x6xf32>, tensor<6xf32>) outs(%z4 : tensor<4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %ok, %twice, %c : tensor<6xf32>, tensor<4x6xf32>, tensor<4xf32>
}
