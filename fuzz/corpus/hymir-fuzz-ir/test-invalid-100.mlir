func.func @scan_c9_mod_by_input(%th: tensor<?x?x3xf32>, %c: tensor<?x?x3xf32>, %p0: tensor<?x3xf32>) {
  %p = hymir.scan ins(%th, %c : tensor<?x?x3xf32>, tensor<?x?x3xf32>) inits(%p0 : tensor<?x3xf32>) -> () {
  ^bb0(%tht: tensor<3xf32>, %ct: tensor<3xf32>, %pt: tensor<3xf32>):
    %x = arith.addf %pt, %tht : tensor<3xf32>
    %q = arith.divf %x, %ct : tensor<3xf32>
    %f = math.floor %q : tensor<3xf32>
    %cf = arith.mulf %ct, %f : tensor<3xf32>
    %pn = arith.subf %x, %cf : tensor<3xf32>
    hymir.yield %pn : tensor<3xf32>
  }
  return
}
