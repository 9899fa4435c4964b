func.func @class_dplr_decay_rows(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?x4xf32>, %b: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: tensor<4xf32>, %bt: f32, %st: tensor<4x6xf32>):
    %a = math.exp %gt : tensor<4xf32>
    %sd = hymir.scale %st, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %p = hymir.read %sd, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %vt, %p : tensor<6xf32>
    %u = hymir.scale %e, %bt : tensor<6xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %ku : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}
