// RUN: hymir-opt %s --hymir-fuse-elementwise -split-input-file | FileCheck %s

// hymir-fuse-elementwise alone: single-use element-wise producers (a decay and
// an outer product) are fused into their consumer (one loop nest, no
// temporaries); the copy into the carried state is left to
// hymir-fold-state-copies.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @single_use
// CHECK:     %[[NEW:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>)
// CHECK:       arith.mulf
// CHECK:       arith.mulf
// CHECK:       arith.addf
// CHECK-NOT: linalg.generic
// CHECK:     linalg.copy ins(%[[NEW]]
func.func @single_use(%s: tensor<4x6xf32>, %k: tensor<4xf32>, %v: tensor<6xf32>, %a: f32,
                      %d: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %e1 = tensor.empty() : tensor<4x6xf32>
  %sd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x6xf32>) outs(%e1 : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %e2 = tensor.empty() : tensor<4x6xf32>
  %kv = linalg.generic {indexing_maps = [#row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%k, %v : tensor<4xf32>, tensor<6xf32>) outs(%e2 : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %sn = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sd, %kv : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e1 : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.addf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %c = linalg.copy ins(%sn : tensor<4x6xf32>) outs(%d : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %c : tensor<4x6xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A producer with two users is not fused (it would be computed twice).
// CHECK-LABEL: func.func @two_uses
// CHECK-COUNT-3: linalg.generic
func.func @two_uses(%s: tensor<4x6xf32>, %a: f32) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %e = tensor.empty() : tensor<4x6xf32>
  %sd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sd : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.addf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sd : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.subf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  return %p, %q : tensor<4x6xf32>, tensor<4x6xf32>
}
