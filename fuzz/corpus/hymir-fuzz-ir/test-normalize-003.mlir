func.func @class_diagonal_cols(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x6xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %a = math.exp %gt : tensor<6xf32>
    %sd = hymir.scale %st, %a along cols : tensor<4x6xf32>, tensor<6xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}
