func.func @class_rank_n_two_reads(%a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%a, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%at: tensor<4xf32>, %bt: tensor<4xf32>, %st: tensor<4x6xf32>):
    %ra = hymir.read %st, %at : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %rb = hymir.read %st, %bt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %ua = hymir.outer %bt, %ra : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %ub = hymir.outer %at, %rb : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %u = arith.addf %ua, %ub : tensor<4x6xf32>
    %sn = arith.subf %st, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}
