func.func @update_rank_2_mimo(%q: tensor<?x?x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x2x6xf32>, %a: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %a : tensor<?x?x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x6xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<2x4xf32>, %vt: tensor<2x6xf32>, %at: f32, %st: tensor<4x6xf32>):
    %sd = hymir.scale %st, %at : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<2x4xf32>, tensor<2x6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}
