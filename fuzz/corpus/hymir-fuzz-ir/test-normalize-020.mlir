func.func @prefix_mlstm(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %i: tensor<?x?xf32>, %lf: tensor<?x?xf32>,
                        %c0: tensor<?x4x6xf32>, %n0: tensor<?x4xf32>, %m0: tensor<?xf32>) {
  %h, %c, %n, %m = hymir.scan ins(%q, %k, %v, %i, %lf : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%c0, %n0, %m0 : tensor<?x4x6xf32>, tensor<?x4xf32>, tensor<?xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %it: f32, %lft: f32, %ct: tensor<4x6xf32>, %nt: tensor<4xf32>, %mt: f32):
    %mf = arith.addf %mt, %lft : f32
    %mn = arith.maximumf %mf, %it : f32
    %fl = arith.subf %mf, %mn : f32
    %f = math.exp %fl : f32
    %il = arith.subf %it, %mn : f32
    %ig = math.exp %il : f32
    %cd = hymir.scale %ct, %f : tensor<4x6xf32>, f32
    %iv = hymir.scale %vt, %ig : tensor<6xf32>, f32
    %kv = hymir.outer %kt, %iv : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %cn = arith.addf %cd, %kv : tensor<4x6xf32>
    %nd = hymir.scale %nt, %f : tensor<4xf32>, f32
    %ik = hymir.scale %kt, %ig : tensor<4xf32>, f32
    %nn = arith.addf %nd, %ik : tensor<4xf32>
    %num = hymir.read %cn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %den = hymir.dot %nn, %qt : tensor<4xf32>, tensor<4xf32> -> f32
    %ad = math.absf %den : f32
    %one = arith.constant 1.0 : f32
    %mx = arith.maximumf %ad, %one : f32
    %inv = arith.divf %one, %mx : f32
    %ht = hymir.scale %num, %inv : tensor<6xf32>, f32
    hymir.yield %ht, %cn, %nn, %mn : tensor<6xf32>, tensor<4x6xf32>, tensor<4xf32>, f32
  }
  return
}
