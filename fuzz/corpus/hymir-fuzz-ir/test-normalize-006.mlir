func.func @class_vector_scalar_decay(%x: tensor<?x?x8xf32>, %a: tensor<?x?xf32>, %h0: tensor<?x8xf32>) {
  %y, %h = hymir.scan ins(%x, %a : tensor<?x?x8xf32>, tensor<?x?xf32>) inits(%h0 : tensor<?x8xf32>)
      -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %at: f32, %ht: tensor<8xf32>):
    %hd = hymir.scale %ht, %at : tensor<8xf32>, f32
    %hn = arith.addf %hd, %xt : tensor<8xf32>
    hymir.yield %hn, %hn : tensor<8xf32>, tensor<8xf32>
  }
  return
}
