func.func @scan_drop_all_outputs(%k: tensor<?x?x2x4xf32>, %v: tensor<?x?x2x6xf32>, %s0: tensor<?x2x4x6xf32>)
    -> tensor<?x2x4x6xf32> {
  %o, %s = hymir.scan heads = 2 ins(%k, %v : tensor<?x?x2x4xf32>, tensor<?x?x2x6xf32>) inits(%s0 : tensor<?x2x4x6xf32>)
      -> (tensor<?x?x2x6xf32>) attributes {transition = #hymir.transition<identity, decay = none,
          correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>} {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %kv : tensor<4x6xf32>
    %r = hymir.read %sn, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %r, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %s : tensor<?x2x4x6xf32>
}
