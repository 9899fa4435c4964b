func.func @scan_c2_h(%x: tensor<3x?x4xf32>, %y: tensor<i1>) {
  %s = hymir.scan ins(%x, %x : tensor<3x?x4xf32>, tensor<3x?x4xf32>) inits(%s : tensor<i1>) -> () { ^bb(%s: tensor<i1>, %st: tensor<i1>):
  }
}
