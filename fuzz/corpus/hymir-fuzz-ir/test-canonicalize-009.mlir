func.func @scale_of_scale_inexact(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %a = arith.constant 3.0 : f32
  %b = arith.constant 5.0 : f32
  %s = hymir.scale %x, %a : tensor<4x6xf32>, f32
  %t = hymir.scale %s, %b : tensor<4x6xf32>, f32
  return %t : tensor<4x6xf32>
}
