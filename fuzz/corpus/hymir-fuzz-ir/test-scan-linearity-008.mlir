func.func @nonlinear_output(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                            %c0: tensor<?x4x6xf32>, %n0: tensor<?x4xf32>)
    -> (tensor<?x?x6xf32>, tensor<?x?x6xf32>) {
  %h, %g, %c, %n = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%c0, %n0 : tensor<?x4x6xf32>, tensor<?x4xf32>) -> (tensor<?x?x6xf32>, tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %ct: tensor<4x6xf32>, %nt: tensor<4xf32>):
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %cn = arith.addf %ct, %kv : tensor<4x6xf32>
    %nn = arith.addf %nt, %kt : tensor<4xf32>
    %num = hymir.read %cn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %den = hymir.dot %nn, %qt : tensor<4xf32>, tensor<4xf32> -> f32
    %ad = math.absf %den : f32
    %one = arith.constant 1.0 : f32
    %mx = arith.maximumf %ad, %one : f32
    %inv = arith.divf %one, %mx : f32
    %h = hymir.scale %num, %inv : tensor<6xf32>, f32
    %t = math.tanh %num : tensor<6xf32>
    %g = hymir.l2_norm %t : tensor<6xf32>
    hymir.yield %h, %g, %cn, %nn : tensor<6xf32>, tensor<6xf32>, tensor<4x6xf32>, tensor<4xf32>
  }
  return %h, %g : tensor<?x?x6xf32>, tensor<?x?x6xf32>
}
