func.func @prefix_modular_sum_angle(%k: tensor<?x?x8xf32>, %v: tensor<?x?x6xf32>, %th: tensor<?x?x3xf32>,
                                    %p0: tensor<?x3xf32>, %s0: tensor<?x8x6xf32>) {
  %p, %s = hymir.scan ins(%k, %v, %th : tensor<?x?x8xf32>, tensor<?x?x6xf32>, tensor<?x?x3xf32>)
      inits(%p0, %s0 : tensor<?x3xf32>, tensor<?x8x6xf32>) -> () {
  ^bb0(%kt: tensor<8xf32>, %vt: tensor<6xf32>, %tht: tensor<3xf32>, %pt: tensor<3xf32>, %st: tensor<8x6xf32>):
    %twopi = arith.constant dense<6.28318548> : tensor<3xf32>
    %x = arith.addf %pt, %tht : tensor<3xf32>
    %q = arith.divf %x, %twopi : tensor<3xf32>
    %fl = math.floor %q : tensor<3xf32>
    %w = arith.mulf %twopi, %fl : tensor<3xf32>
    %pn = arith.subf %x, %w : tensor<3xf32>
    %kr = hymir.rotary %kt, %pn {interleaved} : tensor<8xf32>, tensor<3xf32>
    %kv = hymir.outer %kr, %vt : tensor<8xf32>, tensor<6xf32> -> tensor<8x6xf32>
    %sn = arith.addf %st, %kv : tensor<8x6xf32>
    hymir.yield %pn, %sn : tensor<3xf32>, tensor<8x6xf32>
  }
  return
}
