func.func @rotary_c1_result_type(%x: tensor<12xf32>, %a: tensor<3xf32>) {
  %r = "hymir.rotary"(%x, %a) : (tensor<12xf32>, tensor<3xf32>) -> tensor<6xf32>
  return
}
