func.func @scan_drop_unused_output(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>)
    -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  %o1, %o2, %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>)
      -> (tensor<?x?x6xf32>, tensor<?x?x6xf32>) {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %t = math.tanh %vt : tensor<6xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %kv : tensor<4x6xf32>
    %r = hymir.read %sn, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %t, %r, %sn : tensor<6xf32>, tensor<6xf32>, tensor<4x6xf32>
  }
  return %o2, %s : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}
