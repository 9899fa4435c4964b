func.func @main(%x: tensor<0x?x80xf32>) -> tensor<0x80x?xf32> {
  %c1 = arith.constant 1 : index
  %t = tensor.dim %x, %c1 : tensor<0x?x80xf32>
  %e = tensor.empty(%t) : tensor<0x80x?xf32>
  %y = linalg.transpose ins(%x : tensor<0x?x80xf32>) outs(%e : tensor<0x80x?xf32>) permutation = [0, 2, 1]
  return %y : tensor<0x80x?xf32>
}
