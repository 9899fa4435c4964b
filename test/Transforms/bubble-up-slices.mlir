// RUN: hymir-opt %s --hymir-bubble-up-slices | FileCheck %s

// A value tile takes columns [c, c + 32) of a step's widened value row: only
// those columns are widened, into an empty tensor of the tile's size.
// CHECK-LABEL: func.func @tile_of_widened_row
// CHECK-SAME: (%[[V:.+]]: tensor<128xbf16>, %[[C:.+]]: index)
// CHECK: %[[S:.+]] = tensor.extract_slice %[[V]][%[[C]]] [32] [1] : tensor<128xbf16> to tensor<32xbf16>
// CHECK: %[[E:.+]] = tensor.empty() : tensor<32xf32>
// CHECK: %[[W:.+]] = linalg.generic {{.+}} ins(%[[S]] : tensor<32xbf16>) outs(%[[E]] : tensor<32xf32>)
// CHECK:   arith.extf
// CHECK: return %[[W]]
#id = affine_map<(d0) -> (d0)>
func.func @tile_of_widened_row(%v: tensor<128xbf16>, %c: index) -> tensor<32xf32> {
  %e = tensor.empty() : tensor<128xf32>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v : tensor<128xbf16>) outs(%e : tensor<128xf32>) {
  ^bb0(%x: bf16, %o: f32):
    %y = arith.extf %x : bf16 to f32
    linalg.yield %y : f32
  } -> tensor<128xf32>
  %t = tensor.extract_slice %w[%c] [32] [1] : tensor<128xf32> to tensor<32xf32>
  return %t : tensor<32xf32>
}

// A slice of a product (a reduction) is left alone: slicing it would slice
// its accumulator too.
// CHECK-LABEL: func.func @slice_of_product
// CHECK: %[[P:.+]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: tensor.extract_slice %[[P]][0] [4] [1]
#in = affine_map<(i, r) -> (i, r)>
#out = affine_map<(i, r) -> (i)>
func.func @slice_of_product(%a: tensor<8x16xf32>, %acc: tensor<8xf32>) -> tensor<4xf32> {
  %p = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<8x16xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %t = tensor.extract_slice %p[0] [4] [1] : tensor<8xf32> to tensor<4xf32>
  return %t : tensor<4xf32>
}
