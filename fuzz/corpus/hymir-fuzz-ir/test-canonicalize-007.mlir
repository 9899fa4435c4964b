func.func @scale_of_scale_negation(%x: tensor<8xf16>) -> tensor<8xf16> {
  %a = arith.constant -1.0 : f16
  %b = arith.constant 0.3 : f16
  %s = hymir.scale %x, %a : tensor<8xf16>, f16
  %t = hymir.scale %s, %b : tensor<8xf16>, f16
  return %t : tensor<8xf16>
}
