func.func @prefix_modular_sum_scalar(%th: tensor<?x?xf32>, %p0: tensor<?xf32>) -> tensor<?xf32> {
  %p = hymir.scan ins(%th : tensor<?x?xf32>) inits(%p0 : tensor<?xf32>) -> () {
  ^bb0(%tht: f32, %pt: f32):
    %c = arith.constant 6.28318548 : f32
    %x = arith.addf %tht, %pt : f32
    %q = arith.divf %x, %c : f32
    %fl = math.floor %q : f32
    %w = arith.mulf %fl, %c : f32
    %pn = arith.subf %x, %w : f32
    hymir.yield %pn : f32
  }
  return %p : tensor<?xf32>
}
