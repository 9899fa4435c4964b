func.func @direct_part_sum_and_negation(%x: tensor<?x?x4x6xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%x : tensor<?x?x4x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%xt: tensor<4x6xf32>, %st: tensor<4x6xf32>):
    %s2 = arith.addf %st, %st : tensor<4x6xf32>
    %sn = arith.addf %s2, %xt : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  %t = hymir.scan ins(%x : tensor<?x?x4x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%xt: tensor<4x6xf32>, %st: tensor<4x6xf32>):
    %sn = arith.subf %xt, %st : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
