func.func @affine_additive_inputs(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?xf32>,
                                  %x: tensor<?x?x4x6xf32>, %s0: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
  %s = hymir.scan ins(%k, %v, %g, %x : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?x4x6xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: f32, %xt: tensor<4x6xf32>, %st: tensor<4x6xf32>):
    %sp = math.exp %gt : f32
    %lg = math.log1p %sp : f32
    %a = arith.negf %lg : f32
    %sd = hymir.scale %st, %a : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %t = math.tanh %xt : tensor<4x6xf32>
    %c = arith.constant dense<0.5> : tensor<4x6xf32>
    %s1 = arith.addf %sd, %kv : tensor<4x6xf32>
    %s2 = arith.subf %s1, %t : tensor<4x6xf32>
    %s3 = arith.addf %c, %s2 : tensor<4x6xf32>
    %two = arith.constant 2.0 : f32
    %s4 = arith.divf %s3, %c : tensor<4x6xf32>
    %s5 = hymir.scale %s4, %two : tensor<4x6xf32>, f32
    hymir.yield %s5 : tensor<4x6xf32>
  }
  return %s : tensor<?x4x6xf32>
}
