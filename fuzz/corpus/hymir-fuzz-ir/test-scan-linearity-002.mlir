func.func @affine_select_on_input(%x: tensor<?x?x4xf32>, %r: tensor<?x?xf32>, %h0: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %h = hymir.scan ins(%x, %r : tensor<?x?x4xf32>, tensor<?x?xf32>) inits(%h0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %rt: f32, %ht: tensor<4xf32>):
    %z = arith.constant 0.0 : f32
    %reset = arith.cmpf olt, %rt, %z : f32
    %zero = arith.constant dense<0.0> : tensor<4xf32>
    %kept = arith.select %reset, %zero, %ht : tensor<4xf32>
    %hn = arith.addf %kept, %xt : tensor<4xf32>
    hymir.yield %hn : tensor<4xf32>
  }
  return %h : tensor<?x4xf32>
}
