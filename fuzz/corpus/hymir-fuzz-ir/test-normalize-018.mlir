func.func @read_pre(%r: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %w: tensor<?x?x4xf32>, %u: tensor<4xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%r, %k, %v, %w : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>)
      params(%u : tensor<4xf32>) inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%rt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %wt: tensor<4xf32>, %ut: tensor<4xf32>, %st: tensor<4x6xf32>):
    %old = hymir.read %st, %rt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %ruk = arith.mulf %rt, %ut : tensor<4xf32>
    %bonus = hymir.dot %ruk, %kt : tensor<4xf32>, tensor<4xf32> -> f32
    %bv = hymir.scale %vt, %bonus : tensor<6xf32>, f32
    %ot = arith.addf %old, %bv : tensor<6xf32>
    %a = math.exp %wt : tensor<4xf32>
    %sd = hymir.scale %st, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}
