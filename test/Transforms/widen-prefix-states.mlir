// RUN: hymir-opt %s --hymir-widen-prefix-states -split-input-file | FileCheck %s

// hymir-widen-prefix-states: a max-plus stabiliser (mLSTM) and a modular sum
// (Mamba-3's angle) are carried in f64; other states stay as they are.

// The stabiliser m: extended on the way in, truncated on the way out; the
// max-plus chain and the gate exponents are f64 up to the exp, which reads
// them rounded to f32. The matrix state keeps f32.
// CHECK-LABEL: func.func @max_plus
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x4xf32>, %[[LF:.+]]: tensor<?x?xf32>, %[[I:.+]]: tensor<?x?xf32>, %[[S0:.+]]: tensor<?x4xf32>, %[[M0:.+]]: tensor<?xf32>)
// CHECK: %[[M0W:.+]] = arith.extf %[[M0]] : tensor<?xf32> to tensor<?xf64>
// CHECK: hymir.scan
// CHECK: inits(%[[S0]], %[[M0W]] : tensor<?x4xf32>, tensor<?xf64>)
// CHECK: ^bb0(%{{.+}}: tensor<4xf32>, %[[LFT:.+]]: f32, %[[IT:.+]]: f32, %[[S:.+]]: tensor<4xf32>, %[[M:.+]]: f64):
// CHECK:   %[[LFW:.+]] = arith.extf %[[LFT]] : f32 to f64
// CHECK:   %[[SUM:.+]] = arith.addf %[[LFW]], %[[M]] : f64
// CHECK:   %[[IW:.+]] = arith.extf %[[IT]] : f32 to f64
// CHECK:   %[[MN:.+]] = arith.maximumf %[[SUM]], %[[IW]] : f64
// CHECK:   %[[FL:.+]] = arith.subf %[[SUM]], %[[MN]] : f64
// CHECK:   %[[FL32:.+]] = arith.truncf %[[FL]] : f64 to f32
// CHECK:   math.exp %[[FL32]] : f32
// CHECK:   hymir.yield %{{.+}}, %{{.+}}, %[[MN]] : tensor<4xf32>, tensor<4xf32>, f64
// CHECK: %[[MT:.+]] = arith.truncf %{{.+}}#1 : tensor<?xf64> to tensor<?xf32>
// CHECK: return %{{.+}}, %{{.+}}#0, %[[MT]]
func.func @max_plus(%x: tensor<?x?x4xf32>, %lf: tensor<?x?xf32>, %i: tensor<?x?xf32>,
                    %s0: tensor<?x4xf32>, %m0: tensor<?xf32>)
    -> (tensor<?x?x4xf32>, tensor<?x4xf32>, tensor<?xf32>) {
  %o, %s, %m = hymir.scan ins(%x, %lf, %i : tensor<?x?x4xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%s0, %m0 : tensor<?x4xf32>, tensor<?xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %lft: f32, %it: f32, %st: tensor<4xf32>, %mt: f32):
    %sum = arith.addf %lft, %mt : f32
    %mn = arith.maximumf %sum, %it : f32
    %fl = arith.subf %sum, %mn : f32
    %f = math.exp %fl : f32
    %sd = hymir.scale %st, %f : tensor<4xf32>, f32
    %sn = arith.addf %sd, %xt : tensor<4xf32>
    hymir.yield %sn, %sn, %mn : tensor<4xf32>, tensor<4xf32>, f32
  }
  return %o, %s, %m : tensor<?x?x4xf32>, tensor<?x4xf32>, tensor<?xf32>
}

// -----

// A modular sum (x mod 2π written with floor): the modulus becomes an f64
// constant (so the scan still verifies: C9 needs it constant) and the angle
// is read by the rotation in f32.
// CHECK-LABEL: func.func @modular_sum
// CHECK: ^bb0(%[[D:.+]]: tensor<2xf32>, %{{.+}}: tensor<4xf32>, %[[PHI:.+]]: tensor<2xf64>):
// CHECK:   %[[DW:.+]] = arith.extf %[[D]] : tensor<2xf32> to tensor<2xf64>
// CHECK:   %[[SUM:.+]] = arith.addf %[[PHI]], %[[DW]] : tensor<2xf64>
// CHECK:   %[[C:.+]] = arith.constant dense<6.2831854820251465> : tensor<2xf64>
// CHECK:   arith.divf %[[SUM]], %[[C]] : tensor<2xf64>
// CHECK:   math.floor %{{.+}} : tensor<2xf64>
// CHECK:   %[[NEW:.+]] = arith.subf %[[SUM]], %{{.+}} : tensor<2xf64>
// CHECK:   %[[NEW32:.+]] = arith.truncf %[[NEW]] : tensor<2xf64> to tensor<2xf32>
// CHECK:   hymir.rotary %{{.+}}, %[[NEW32]]
// CHECK:   hymir.yield %{{.+}}, %[[NEW]] : tensor<4xf32>, tensor<2xf64>
func.func @modular_sum(%d: tensor<?x?x2xf32>, %x: tensor<?x?x4xf32>, %phi0: tensor<?x2xf32>)
    -> (tensor<?x?x4xf32>, tensor<?x2xf32>) {
  %o, %phi = hymir.scan ins(%d, %x : tensor<?x?x2xf32>, tensor<?x?x4xf32>)
      inits(%phi0 : tensor<?x2xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%dt: tensor<2xf32>, %xt: tensor<4xf32>, %p: tensor<2xf32>):
    %two_pi = arith.constant dense<6.28318548> : tensor<2xf32>
    %sum = arith.addf %p, %dt : tensor<2xf32>
    %turns = arith.divf %sum, %two_pi : tensor<2xf32>
    %fl = math.floor %turns : tensor<2xf32>
    %wrap = arith.mulf %two_pi, %fl : tensor<2xf32>
    %pn = arith.subf %sum, %wrap : tensor<2xf32>
    %r = hymir.rotary %xt, %pn {interleaved} : tensor<4xf32>, tensor<2xf32>
    hymir.yield %r, %pn : tensor<4xf32>, tensor<2xf32>
  }
  return %o, %phi : tensor<?x?x4xf32>, tensor<?x2xf32>
}

// -----

// A linear state (s_t = a s_{t−1} + x) and a max without the state inside
// the sum (max(s, x) is not max-plus) are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: f64
// CHECK: return
func.func @untouched(%x: tensor<?x?xf32>, %a: tensor<?x?xf32>, %s0: tensor<?xf32>)
    -> (tensor<?x?xf32>, tensor<?xf32>) {
  %o, %s = hymir.scan ins(%x, %a : tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?xf32>) -> (tensor<?x?xf32>) {
  ^bb0(%xt: f32, %at: f32, %st: f32):
    %sd = arith.mulf %at, %st : f32
    %sn = arith.addf %sd, %xt : f32
    hymir.yield %sn, %sn : f32, f32
  }
  return %o, %s : tensor<?x?xf32>, tensor<?xf32>
}
