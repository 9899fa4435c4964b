func.func @scan_c4_final_type(%x: tensor<2x?x4xf32>, %s0: tensor<2x4xf32>) {
  %s = "hymir.scan"(%x, %s0) <{operandSegmentSizes = array<i32: 1, 0, 1>, resultSegmentSizes = array<i32: 0, 1>}> ({
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }) : (tensor<2x?x4xf32>, tensor<2x4xf32>) -> tensor<?x4xf32>
  return
}
