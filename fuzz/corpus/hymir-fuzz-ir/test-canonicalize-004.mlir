func.func @recurrence_drop_unused_output(%x: tensor<?x?x2x4xf32>, %w: tensor<2x4xf32>, %h0: tensor<?x2x4xf32>, %c0: tensor<?x2x4xf32>)
    -> (tensor<?x?x2x4xf32>, tensor<?x?x2xf32>, tensor<?x2x4xf32>) {
  %a, %b, %n, %h, %c = hymir.recurrence heads = 2 ins(%x : tensor<?x?x2x4xf32>) params(%w : tensor<2x4xf32>)
      inits(%h0, %c0 : tensor<?x2x4xf32>, tensor<?x2x4xf32>) -> (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2xf32>) {
  ^bb0(%t: index, %xt: tensor<4xf32>, %wt: tensor<4xf32>, %ht: tensor<4xf32>, %ct: tensor<4xf32>):
    %z = arith.mulf %wt, %ht : tensor<4xf32>
    %y = arith.addf %z, %xt : tensor<4xf32>
    %hn = math.tanh %y : tensor<4xf32>
    %cn = arith.addf %ct, %hn : tensor<4xf32>
    %e = math.exp %cn : tensor<4xf32>
    %s = hymir.sum %hn : tensor<4xf32> -> f32
    hymir.yield %hn, %e, %s, %hn, %cn : tensor<4xf32>, tensor<4xf32>, f32, tensor<4xf32>, tensor<4xf32>
  }
  return %a, %n, %c : tensor<?x?x2x4xf32>, tensor<?x?x2xf32>, tensor<?x2x4xf32>
}
