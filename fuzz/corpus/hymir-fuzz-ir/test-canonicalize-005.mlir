func.func @scale_by_one(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %one = arith.constant 1.0 : f32
  %ones = arith.constant dense<1.0> : tensor<4xf32>
  %a = hymir.scale %x, %one : tensor<4x6xf32>, f32
  %b = hymir.scale %x, %ones along rows : tensor<4x6xf32>, tensor<4xf32>
  return %a, %b : tensor<4x6xf32>, tensor<4x6xf32>
}
