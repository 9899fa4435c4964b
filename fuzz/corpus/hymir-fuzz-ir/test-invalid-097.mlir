func.func @scan_c9_jointly_nonlinear_cycle(%x: tensor<?x?x4xf32>, %a0: tensor<?x4xf32>, %b0: tensor<?x4xf32>) {
  %a, %b = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%a0, %b0 : tensor<?x4xf32>, tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %at: tensor<4xf32>, %bt: tensor<4xf32>):
    %an = arith.mulf %at, %bt : tensor<4xf32>
    %bn = arith.addf %at, %xt : tensor<4xf32>
    hymir.yield %an, %bn : tensor<4xf32>, tensor<4xf32>
  }
  return
}
