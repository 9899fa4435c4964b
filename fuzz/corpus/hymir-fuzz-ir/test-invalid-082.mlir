func.func @sum_c1_result(%a: tensor<4xf32>) {
  %r = hymir.sum %a : tensor<4xf32> -> f64
  return
}
