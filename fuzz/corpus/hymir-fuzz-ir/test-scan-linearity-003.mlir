func.func @prefix_max_plus_mlstm(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %i: tensor<?x?xf32>,
                                 %f: tensor<?x?xf32>, %c0: tensor<?x4x6xf32>, %n0: tensor<?x4xf32>,
                                 %m0: tensor<?xf32>) {
  %c, %n, %m = hymir.scan ins(%k, %v, %i, %f : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%c0, %n0, %m0 : tensor<?x4x6xf32>, tensor<?x4xf32>, tensor<?xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %it: f32, %ft: f32, %ct: tensor<4x6xf32>, %nt: tensor<4xf32>, %mt: f32):
    %nf = arith.negf %ft : f32
    %e = math.exp %nf : f32
    %one = arith.constant 1.0 : f32
    %d = arith.addf %one, %e : f32
    %l = math.log %d : f32
    %lf = arith.negf %l : f32
    %mf = arith.addf %lf, %mt : f32
    %mn = arith.maximumf %mf, %it : f32
    %a = arith.subf %mf, %mn : f32
    %fg = math.exp %a : f32
    %b = arith.subf %it, %mn : f32
    %ig = math.exp %b : f32
    %cd = hymir.scale %ct, %fg : tensor<4x6xf32>, f32
    %iv = hymir.scale %vt, %ig : tensor<6xf32>, f32
    %kv = hymir.outer %kt, %iv : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %cn = arith.addf %cd, %kv : tensor<4x6xf32>
    %nd = hymir.scale %nt, %fg : tensor<4xf32>, f32
    %ik = hymir.scale %kt, %ig : tensor<4xf32>, f32
    %nn = arith.addf %nd, %ik : tensor<4xf32>
    hymir.yield %cn, %nn, %mn : tensor<4x6xf32>, tensor<4xf32>, f32
  }
  return
}
