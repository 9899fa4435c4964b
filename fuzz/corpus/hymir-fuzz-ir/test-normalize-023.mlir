func.func @recompute_stale(%x: tensor<?x?x4xf32>, %h0: tensor<?x4x4xf32>) {
  %h = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%h0 : tensor<?x4x4xf32>) -> () attributes {transition =
      #hymir.transition<rank_n, decay = full, correction_rank = 7, update_rank = 7, read = pre, levels = 0, prefix = 0>} {
  ^bb0(%xt: tensor<4xf32>, %ht: tensor<4x4xf32>):
    %u = hymir.outer %xt, %xt : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %hn = arith.addf %ht, %u : tensor<4x4xf32>
    hymir.yield %hn : tensor<4x4xf32>
  }
  return
}
