func.func @scale_c1_result_type(%s: tensor<4x6xf32>, %a: f32) {
  %r = "hymir.scale"(%s, %a) : (tensor<4x6xf32>, f32) -> tensor<6x4xf32>
  return
}
