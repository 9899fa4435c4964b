func.func @prefix_mamba3(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x6xf32>, %th: tensor<?x?x3xf32>, %a: tensor<?x?xf32>,
                         %p0: tensor<?x3xf32>, %s0: tensor<?x8x6xf32>, %kp0: tensor<?x8xf32>, %vp0: tensor<?x6xf32>) {
  %o, %p, %s, %kp, %vp = hymir.scan ins(%q, %k, %v, %th, %a : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x6xf32>, tensor<?x?x3xf32>, tensor<?x?xf32>)
      inits(%p0, %s0, %kp0, %vp0 : tensor<?x3xf32>, tensor<?x8x6xf32>, tensor<?x8xf32>, tensor<?x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<8xf32>, %kt: tensor<8xf32>, %vt: tensor<6xf32>, %tht: tensor<3xf32>, %at: f32,
       %pt: tensor<3xf32>, %st: tensor<8x6xf32>, %kpt: tensor<8xf32>, %vpt: tensor<6xf32>):
    %twopi = arith.constant dense<6.28318548> : tensor<3xf32>
    %x = arith.addf %pt, %tht : tensor<3xf32>
    %dq = arith.divf %x, %twopi : tensor<3xf32>
    %fl = math.floor %dq : tensor<3xf32>
    %w = arith.mulf %twopi, %fl : tensor<3xf32>
    %pn = arith.subf %x, %w : tensor<3xf32>
    %kr = hymir.rotary %kt, %pn {interleaved} : tensor<8xf32>, tensor<3xf32>
    %qr = hymir.rotary %qt, %pn {interleaved} : tensor<8xf32>, tensor<3xf32>
    %sd = hymir.scale %st, %at : tensor<8x6xf32>, f32
    %lag = hymir.outer %kpt, %vpt : tensor<8xf32>, tensor<6xf32> -> tensor<8x6xf32>
    %kv = hymir.outer %kr, %vt : tensor<8xf32>, tensor<6xf32> -> tensor<8x6xf32>
    %s1 = arith.addf %sd, %lag : tensor<8x6xf32>
    %sn = arith.addf %s1, %kv : tensor<8x6xf32>
    %ot = hymir.read %sn, %qr : tensor<8x6xf32>, tensor<8xf32> -> tensor<6xf32>
    hymir.yield %ot, %pn, %sn, %kr, %vt : tensor<6xf32>, tensor<3xf32>, tensor<8x6xf32>, tensor<8xf32>, tensor<6xf32>
  }
  return
}
