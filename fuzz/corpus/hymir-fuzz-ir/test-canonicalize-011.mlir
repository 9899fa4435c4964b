func.func @scale_of_scale_overflow(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %a = arith.constant 1.26765060E+30 : f32
  %s = hymir.scale %x, %a : tensor<4x6xf32>, f32
  %t = hymir.scale %s, %a : tensor<4x6xf32>, f32
  return %t : tensor<4x6xf32>
}
