func.func @scan_c9_tanh_of_state(%x: tensor<?x?x8xf32>, %h0: tensor<?x8xf32>) {
  %o, %h = hymir.scan ins(%x : tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>) -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %ht: tensor<8xf32>):
    %a = arith.addf %xt, %ht : tensor<8xf32>
    %n = math.tanh %a : tensor<8xf32>
    hymir.yield %n, %n : tensor<8xf32>, tensor<8xf32>
  }
  return
}
