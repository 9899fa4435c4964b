func.func @class_general_mixed_rows(%k: tensor<?x?x2xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x2x6xf32>) {
  %s = hymir.scan ins(%k, %v : tensor<?x?x2xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x2x6xf32>) -> () {
  ^bb0(%kt: tensor<2xf32>, %vt: tensor<6xf32>, %st: tensor<2x6xf32>):
    %r0 = tensor.extract_slice %st[0, 0] [1, 6] [1, 1] : tensor<2x6xf32> to tensor<1x6xf32>
    %r1 = tensor.extract_slice %st[1, 0] [1, 6] [1, 1] : tensor<2x6xf32> to tensor<1x6xf32>
    %r01 = arith.addf %r0, %r1 : tensor<1x6xf32>
    %e = tensor.empty() : tensor<2x6xf32>
    %m0 = tensor.insert_slice %r1 into %e[0, 0] [1, 6] [1, 1] : tensor<1x6xf32> into tensor<2x6xf32>
    %m1 = tensor.insert_slice %r01 into %m0[1, 0] [1, 6] [1, 1] : tensor<1x6xf32> into tensor<2x6xf32>
    %kv = hymir.outer %kt, %vt : tensor<2xf32>, tensor<6xf32> -> tensor<2x6xf32>
    %sn = arith.addf %m1, %kv : tensor<2x6xf32>
    hymir.yield %sn : tensor<2x6xf32>
  }
  return
}
