func.func @recurrence_c1_no_input(%s0: tensor<?x4xf32>) {
  %s = hymir.recurrence inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}
