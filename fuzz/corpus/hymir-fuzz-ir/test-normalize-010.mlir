func.func @class_rank_n(%q: tensor<?x?x4xf32>, %k1: tensor<?x?x4xf32>, %k2: tensor<?x?x4xf32>, %v1: tensor<?x?x6xf32>, %v2: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k1, %k2, %v1, %v2 : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x6xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %k1t: tensor<4xf32>, %k2t: tensor<4xf32>, %v1t: tensor<6xf32>, %v2t: tensor<6xf32>, %st: tensor<4x6xf32>):
    %p1 = hymir.read %st, %k1t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e1 = arith.subf %v1t, %p1 : tensor<6xf32>
    %u1 = hymir.outer %k1t, %e1 : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %s1 = arith.addf %st, %u1 : tensor<4x6xf32>
    %p2 = hymir.read %s1, %k2t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e2 = arith.subf %v2t, %p2 : tensor<6xf32>
    %u2 = hymir.outer %k2t, %e2 : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %s2 = arith.addf %s1, %u2 : tensor<4x6xf32>
    %ot = hymir.read %s2, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %s2 : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}
