func.func @scale_of_scale_not_scalar_constants(%x: tensor<4x6xf32>, %r: tensor<4xf32>, %f: f32)
    -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %two = arith.constant 2.0 : f32
  %a = hymir.scale %x, %r along rows : tensor<4x6xf32>, tensor<4xf32>
  %a2 = hymir.scale %a, %two : tensor<4x6xf32>, f32
  %b = hymir.scale %x, %f : tensor<4x6xf32>, f32
  %b2 = hymir.scale %b, %two : tensor<4x6xf32>, f32
  return %a2, %b2 : tensor<4x6xf32>, tensor<4x6xf32>
}
