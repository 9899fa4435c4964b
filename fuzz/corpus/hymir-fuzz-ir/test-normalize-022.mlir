func.func @levels(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?xf32>, %lam: tensor<?x?x3xf32>,
                  %mix: tensor<?x?x3x3xf32>, %s0: tensor<?x3x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g, %lam, %mix : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?x3xf32>, tensor<?x?x3x3xf32>)
      inits(%s0 : tensor<?x3x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: f32, %lt: tensor<3xf32>, %mt: tensor<3x3xf32>, %st: tensor<3x4x6xf32>):
    %merged = hymir.mix %mt, %st : tensor<3x3xf32>, tensor<3x4x6xf32> -> tensor<3x4x6xf32>
    %a = math.exp %gt : f32
    %sd = hymir.scale %merged, %a : tensor<3x4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %kv3 = tensor.expand_shape %kv [[0, 1], [2]] output_shape [1, 4, 6] : tensor<4x6xf32> into tensor<1x4x6xf32>
    %z = arith.constant dense<0.0> : tensor<3x4x6xf32>
    %u = tensor.insert_slice %kv3 into %z[0, 0, 0] [1, 4, 6] [1, 1, 1] : tensor<1x4x6xf32> into tensor<3x4x6xf32>
    %sn = arith.addf %sd, %u : tensor<3x4x6xf32>
    %lt2 = tensor.expand_shape %lt [[0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
    %w = hymir.mix %lt2, %sn : tensor<1x3xf32>, tensor<3x4x6xf32> -> tensor<1x4x6xf32>
    %w2 = tensor.collapse_shape %w [[0, 1], [2]] : tensor<1x4x6xf32> into tensor<4x6xf32>
    %ot = hymir.read %w2, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<3x4x6xf32>
  }
  return
}
