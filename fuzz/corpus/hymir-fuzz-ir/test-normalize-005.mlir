func.func @class_vector(%x: tensor<?x?x8xf32>, %a: tensor<?x?x8xf32>, %h0: tensor<?x8xf32>) {
  %y, %h = hymir.scan ins(%x, %a : tensor<?x?x8xf32>, tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>)
      -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %at: tensor<8xf32>, %ht: tensor<8xf32>):
    %one = arith.constant dense<1.0> : tensor<8xf32>
    %b = arith.subf %one, %at : tensor<8xf32>
    %bx = arith.mulf %b, %xt : tensor<8xf32>
    %hd = arith.mulf %at, %ht : tensor<8xf32>
    %hn = arith.addf %hd, %bx : tensor<8xf32>
    hymir.yield %hn, %hn : tensor<8xf32>, tensor<8xf32>
  }
  return
}
