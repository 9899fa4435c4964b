func.func @lag_state_product(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %b: tensor<?x?xf32>,
                             %s0: tensor<?x4x6xf32>, %kp0: tensor<?x4xf32>, %vp0: tensor<?x6xf32>) {
  %s, %kp, %vp = hymir.scan ins(%k, %v, %b : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>)
      inits(%s0, %kp0, %vp0 : tensor<?x4x6xf32>, tensor<?x4xf32>, tensor<?x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %bt: f32, %st: tensor<4x6xf32>, %kpt: tensor<4xf32>, %vpt: tensor<6xf32>):
    %lag = hymir.outer %kpt, %vpt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %lagb = hymir.scale %lag, %bt : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %s1 = arith.addf %st, %lagb : tensor<4x6xf32>
    %sn = arith.addf %s1, %kv : tensor<4x6xf32>
    hymir.yield %sn, %kt, %vt : tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>
  }
  return
}
