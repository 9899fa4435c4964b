func.func @class_elementwise(%dt: tensor<?x?x4xf32>, %b: tensor<?x?x6xf32>, %x: tensor<?x?x4xf32>, %a: tensor<4x6xf32>, %h0: tensor<?x4x6xf32>) {
  %o, %h = hymir.scan ins(%dt, %b, %x : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>)
      params(%a : tensor<4x6xf32>) inits(%h0 : tensor<?x4x6xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%dtt: tensor<4xf32>, %bt: tensor<6xf32>, %xt: tensor<4xf32>, %at: tensor<4x6xf32>, %ht: tensor<4x6xf32>):
    %da = hymir.scale %at, %dtt along rows : tensor<4x6xf32>, tensor<4xf32>
    %ea = math.exp %da : tensor<4x6xf32>
    %hd = arith.mulf %ea, %ht : tensor<4x6xf32>
    %dx = arith.mulf %dtt, %xt : tensor<4xf32>
    %u = hymir.outer %dx, %bt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %hn = arith.addf %hd, %u : tensor<4x6xf32>
    %y = hymir.read %hn, %bt along cols : tensor<4x6xf32>, tensor<6xf32> -> tensor<4xf32>
    hymir.yield %y, %hn : tensor<4xf32>, tensor<4x6xf32>
  }
  return
}
