func.func @update_rank_2_trapezoid(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %a: tensor<?x?xf32>,
                                   %b: tensor<?x?xf32>, %c: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>, %kp0: tensor<?x4xf32>, %vp0: tensor<?x6xf32>) {
  %o, %s, %kp, %vp = hymir.scan ins(%q, %k, %v, %a, %b, %c : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%s0, %kp0, %vp0 : tensor<?x4x6xf32>, tensor<?x4xf32>, tensor<?x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %at: f32, %bt: f32, %ct: f32, %st: tensor<4x6xf32>, %kpt: tensor<4xf32>, %vpt: tensor<6xf32>):
    %sd = hymir.scale %st, %at : tensor<4x6xf32>, f32
    %lag = hymir.outer %kpt, %vpt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %lagb = hymir.scale %lag, %bt : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %kvc = hymir.scale %kv, %ct : tensor<4x6xf32>, f32
    %u = arith.addf %lagb, %kvc : tensor<4x6xf32>
    %sn = arith.addf %sd, %u : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn, %kt, %vt : tensor<6xf32>, tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>
  }
  return
}
