// RUN: hymir-opt %s --hymir-fuse-elementwise | FileCheck %s

// The decayed keys of a chunk's state update, e^{G_last − G_c} K[c, k], read
// by the product over (k, c, v) through a map without v. Fused, the
// exponential would run once per multiply-add; the producer stays its own
// generic over (c, k) and the product only multiplies and adds.

// CHECK-LABEL: func.func @state_update
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-NOT: math.exp
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return
#cc = affine_map<(c, k) -> (c, k)>
#c = affine_map<(c, k) -> (c)>
#lhs = affine_map<(k, c, v) -> (c, k)>
#rhs = affine_map<(k, c, v) -> (c, v)>
#out = affine_map<(k, c, v) -> (k, v)>
func.func @state_update(%k: tensor<16x24xf32>, %g: tensor<16xf32>, %v: tensor<16x40xf32>,
                        %s: tensor<24x40xf32>, %last: f32) -> tensor<24x40xf32> {
  %e = tensor.empty() : tensor<16x24xf32>
  %kd = linalg.generic {indexing_maps = [#cc, #c, #cc], iterator_types = ["parallel", "parallel"]}
      ins(%k, %g : tensor<16x24xf32>, tensor<16xf32>) outs(%e : tensor<16x24xf32>) {
  ^bb0(%kk: f32, %gg: f32, %o: f32):
    %d = arith.subf %last, %gg : f32
    %x = math.exp %d : f32
    %y = arith.mulf %kk, %x : f32
    linalg.yield %y : f32
  } -> tensor<16x24xf32>
  %next = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%kd, %v : tensor<16x24xf32>, tensor<16x40xf32>) outs(%s : tensor<24x40xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<24x40xf32>
  return %next : tensor<24x40xf32>
}
