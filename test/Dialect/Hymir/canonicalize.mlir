// RUN: hymir-opt %s -canonicalize -split-input-file | FileCheck %s

// Folds and canonicalization patterns of the hymir ops.

//===----------------------------------------------------------------------===//
// Unused outputs of hymir.scan / hymir.recurrence
//===----------------------------------------------------------------------===//

// The unused first output is dropped from the results and the yield, and the
// ops that only fed it die; the used output and the final state remain.
// CHECK-LABEL: func.func @scan_drop_unused_output
// CHECK: %[[O:.+]], %[[S:.+]] = hymir.scan
// CHECK: -> (tensor<?x?x6xf32>) {
// CHECK-NOT: math.tanh
// CHECK: %[[SN:.+]] = arith.addf
// CHECK: %[[R:.+]] = hymir.read %[[SN]]
// CHECK: hymir.yield %[[R]], %[[SN]] : tensor<6xf32>, tensor<4x6xf32>
// CHECK: return %[[O]], %[[S]]
func.func @scan_drop_unused_output(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>)
    -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  %o1, %o2, %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>)
      -> (tensor<?x?x6xf32>, tensor<?x?x6xf32>) {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %t = math.tanh %vt : tensor<6xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %kv : tensor<4x6xf32>
    %r = hymir.read %sn, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %t, %r, %sn : tensor<6xf32>, tensor<6xf32>, tensor<4x6xf32>
  }
  return %o2, %s : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// All outputs unused: an empty output list; the final state defines the
// recurrence and stays. A recorded transition is recomputed: with the reading
// output gone, the read point becomes `none`.
// CHECK-LABEL: func.func @scan_drop_all_outputs
// CHECK: %[[S:.+]] = hymir.scan heads = 2
// CHECK: -> () attributes {transition = #hymir.transition<identity, decay = none, correction_rank = 0, update_rank = 1, read = none, levels = 0, prefix = 0>} {
// CHECK-NOT: hymir.read
// CHECK: hymir.yield %{{.+}} : tensor<4x6xf32>
// CHECK: return %[[S]]
func.func @scan_drop_all_outputs(%k: tensor<?x?x2x4xf32>, %v: tensor<?x?x2x6xf32>, %s0: tensor<?x2x4x6xf32>)
    -> tensor<?x2x4x6xf32> {
  %o, %s = hymir.scan heads = 2 ins(%k, %v : tensor<?x?x2x4xf32>, tensor<?x?x2x6xf32>) inits(%s0 : tensor<?x2x4x6xf32>)
      -> (tensor<?x?x2x6xf32>) attributes {transition = #hymir.transition<identity, decay = none,
          correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>} {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %kv : tensor<4x6xf32>
    %r = hymir.read %sn, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %r, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %s : tensor<?x2x4x6xf32>
}

// -----

// Every output is used and the final state is not: nothing changes (final
// states are never dropped).
// CHECK-LABEL: func.func @scan_keep_used_outputs
// CHECK: %[[O:.+]], %{{.+}} = hymir.scan
// CHECK: -> (tensor<?x?x4xf32>) {
// CHECK: hymir.yield %{{.+}}, %{{.+}} : tensor<4xf32>, tensor<4xf32>
// CHECK: return %[[O]]
func.func @scan_keep_used_outputs(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) -> tensor<?x?x4xf32> {
  %o, %s = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %sn = arith.addf %st, %xt : tensor<4xf32>
    hymir.yield %sn, %sn : tensor<4xf32>, tensor<4xf32>
  }
  return %o : tensor<?x?x4xf32>
}

// -----

// A scan with no use at all is dead (its body is pure) and is erased.
// CHECK-LABEL: func.func @scan_dead
// CHECK-NOT: hymir.scan
// CHECK: return
func.func @scan_dead(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  %o, %s = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %sn = arith.addf %st, %xt : tensor<4xf32>
    hymir.yield %sn, %sn : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

// hymir.recurrence: the unused middle output is dropped; params, the time
// index and both states are kept.
// CHECK-LABEL: func.func @recurrence_drop_unused_output
// CHECK: %[[R:.+]]:2, %[[F:.+]]:2 = hymir.recurrence heads = 2
// CHECK-NEXT: ins(
// CHECK-NEXT: params(
// CHECK-NEXT: inits(%{{.*}}, %{{.*}} : tensor<?x2x4xf32>, tensor<?x2x4xf32>) -> (tensor<?x?x2x4xf32>, tensor<?x?x2xf32>) {
// CHECK-NEXT: ^bb0(%{{.+}}: index,
// CHECK: hymir.yield %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<4xf32>, f32, tensor<4xf32>, tensor<4xf32>
// CHECK: return %[[R]]#0, %[[R]]#1, %[[F]]#1
func.func @recurrence_drop_unused_output(%x: tensor<?x?x2x4xf32>, %w: tensor<2x4xf32>, %h0: tensor<?x2x4xf32>, %c0: tensor<?x2x4xf32>)
    -> (tensor<?x?x2x4xf32>, tensor<?x?x2xf32>, tensor<?x2x4xf32>) {
  %a, %b, %n, %h, %c = hymir.recurrence heads = 2 ins(%x : tensor<?x?x2x4xf32>) params(%w : tensor<2x4xf32>)
      inits(%h0, %c0 : tensor<?x2x4xf32>, tensor<?x2x4xf32>) -> (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2xf32>) {
  ^bb0(%t: index, %xt: tensor<4xf32>, %wt: tensor<4xf32>, %ht: tensor<4xf32>, %ct: tensor<4xf32>):
    %z = arith.mulf %wt, %ht : tensor<4xf32>
    %y = arith.addf %z, %xt : tensor<4xf32>
    %hn = math.tanh %y : tensor<4xf32>
    %cn = arith.addf %ct, %hn : tensor<4xf32>
    %e = math.exp %cn : tensor<4xf32>
    %s = hymir.sum %hn : tensor<4xf32> -> f32
    hymir.yield %hn, %e, %s, %hn, %cn : tensor<4xf32>, tensor<4xf32>, f32, tensor<4xf32>, tensor<4xf32>
  }
  return %a, %n, %c : tensor<?x?x2x4xf32>, tensor<?x?x2xf32>, tensor<?x2x4xf32>
}

//===----------------------------------------------------------------------===//
// hymir.scale
//===----------------------------------------------------------------------===//

// -----

// Scaling by 1 folds away (scalar and splat factors); scaling by 1 along rows
// too.
// CHECK-LABEL: func.func @scale_by_one
// CHECK-SAME: %[[X:[a-zA-Z0-9]+]]: tensor<4x6xf32>
// CHECK-NOT: hymir.scale
// CHECK: return %[[X]], %[[X]]
func.func @scale_by_one(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %one = arith.constant 1.0 : f32
  %ones = arith.constant dense<1.0> : tensor<4xf32>
  %a = hymir.scale %x, %one : tensor<4x6xf32>, f32
  %b = hymir.scale %x, %ones along rows : tensor<4x6xf32>, tensor<4xf32>
  return %a, %b : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// Two powers of two ≥ 1 combine exactly: 2 · 4 = 8.
// CHECK-LABEL: func.func @scale_of_scale_powers_of_two
// CHECK-SAME: %[[X:[a-zA-Z0-9]+]]: tensor<4x6xf32>
// CHECK: %[[C:.+]] = arith.constant 8.000000e+00 : f32
// CHECK: %[[R:.+]] = hymir.scale %[[X]], %[[C]] : tensor<4x6xf32>, f32
// CHECK-NOT: hymir.scale
// CHECK: return %[[R]]
func.func @scale_of_scale_powers_of_two(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %a = arith.constant 2.0 : f32
  %b = arith.constant 4.0 : f32
  %s = hymir.scale %x, %a : tensor<4x6xf32>, f32
  %t = hymir.scale %s, %b : tensor<4x6xf32>, f32
  return %t : tensor<4x6xf32>
}

// -----

// A negation combines with any factor: (−1) · 0.3 = −0.3, on f16.
// CHECK-LABEL: func.func @scale_of_scale_negation
// CHECK-SAME: %[[X:[a-zA-Z0-9]+]]: tensor<8xf16>
// CHECK: %[[C:.+]] = arith.constant -3.000490e-01 : f16
// CHECK: %[[R:.+]] = hymir.scale %[[X]], %[[C]] : tensor<8xf16>, f16
// CHECK: return %[[R]]
func.func @scale_of_scale_negation(%x: tensor<8xf16>) -> tensor<8xf16> {
  %a = arith.constant -1.0 : f16
  %b = arith.constant 0.3 : f16
  %s = hymir.scale %x, %a : tensor<8xf16>, f16
  %t = hymir.scale %s, %b : tensor<8xf16>, f16
  return %t : tensor<8xf16>
}

// -----

// Two negations cancel: (−1) · (−1) = 1, and scaling by 1 folds.
// CHECK-LABEL: func.func @scale_of_scale_double_negation
// CHECK-SAME: %[[X:[a-zA-Z0-9]+]]: tensor<4x6xf32>
// CHECK-NOT: hymir.scale
// CHECK: return %[[X]]
func.func @scale_of_scale_double_negation(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %a = arith.constant -1.0 : f32
  %s = hymir.scale %x, %a : tensor<4x6xf32>, f32
  %t = hymir.scale %s, %a : tensor<4x6xf32>, f32
  return %t : tensor<4x6xf32>
}

// -----

// Must not fire: 3 · 5 rounds x·3 before the second product.
// CHECK-LABEL: func.func @scale_of_scale_inexact
// CHECK: %[[S:.+]] = hymir.scale %{{.+}}, %{{.+}} : tensor<4x6xf32>, f32
// CHECK: hymir.scale %[[S]], %{{.+}} : tensor<4x6xf32>, f32
// CHECK-NOT: arith.constant 1.500000e+01
func.func @scale_of_scale_inexact(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %a = arith.constant 3.0 : f32
  %b = arith.constant 5.0 : f32
  %s = hymir.scale %x, %a : tensor<4x6xf32>, f32
  %t = hymir.scale %s, %b : tensor<4x6xf32>, f32
  return %t : tensor<4x6xf32>
}

// -----

// Must not fire: powers of two below 1 may underflow and round twice
// (x = 5·2⁻¹⁴⁹: (x·0.5)·0.25 = 0 but x·0.125 = 2⁻¹⁴⁹).
// CHECK-LABEL: func.func @scale_of_scale_underflow
// CHECK: %[[S:.+]] = hymir.scale %{{.+}}, %{{.+}} : tensor<4x6xf32>, f32
// CHECK: hymir.scale %[[S]], %{{.+}} : tensor<4x6xf32>, f32
// CHECK-NOT: arith.constant 1.250000e-01
func.func @scale_of_scale_underflow(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %a = arith.constant 0.5 : f32
  %b = arith.constant 0.25 : f32
  %s = hymir.scale %x, %a : tensor<4x6xf32>, f32
  %t = hymir.scale %s, %b : tensor<4x6xf32>, f32
  return %t : tensor<4x6xf32>
}

// -----

// Must not fire: 2¹⁰⁰ · 2¹⁰⁰ overflows f32.
// CHECK-LABEL: func.func @scale_of_scale_overflow
// CHECK: %[[S:.+]] = hymir.scale %{{.+}}, %{{.+}} : tensor<4x6xf32>, f32
// CHECK: hymir.scale %[[S]], %{{.+}} : tensor<4x6xf32>, f32
func.func @scale_of_scale_overflow(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %a = arith.constant 1.26765060E+30 : f32
  %s = hymir.scale %x, %a : tensor<4x6xf32>, f32
  %t = hymir.scale %s, %a : tensor<4x6xf32>, f32
  return %t : tensor<4x6xf32>
}

// -----

// Must not fire: a factor along an axis, or a factor that is not a constant.
// CHECK-LABEL: func.func @scale_of_scale_not_scalar_constants
// CHECK: %[[A:.+]] = hymir.scale %{{.+}}, %{{.+}} along rows
// CHECK: hymir.scale %[[A]], %{{.+}} : tensor<4x6xf32>, f32
// CHECK: %[[B:.+]] = hymir.scale %{{.+}}, %{{.+}} : tensor<4x6xf32>, f32
// CHECK: hymir.scale %[[B]], %{{.+}} : tensor<4x6xf32>, f32
func.func @scale_of_scale_not_scalar_constants(%x: tensor<4x6xf32>, %r: tensor<4xf32>, %f: f32)
    -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %two = arith.constant 2.0 : f32
  %a = hymir.scale %x, %r along rows : tensor<4x6xf32>, tensor<4xf32>
  %a2 = hymir.scale %a, %two : tensor<4x6xf32>, f32
  %b = hymir.scale %x, %f : tensor<4x6xf32>, f32
  %b2 = hymir.scale %b, %two : tensor<4x6xf32>, f32
  return %a2, %b2 : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Static sizes folded into hymir.scan / hymir.recurrence
//===----------------------------------------------------------------------===//

// Shape specialisation (hymir-compile --target=cuda --shape=...) gives the
// entry static arguments and casts them back to the body's types: the casts
// fold into the scan, whose output gets the static batch and time (what
// hymir-chunk-scans decides by: T = 1 takes the sequential step) and is cast
// back for its users.
// CHECK-LABEL: func.func @scan_static_sizes
// CHECK-SAME: (%[[K:.+]]: tensor<2x1x4xf32>, %[[V:.+]]: tensor<2x1x6xf32>, %[[S0:.+]]: tensor<2x4x6xf32>)
// CHECK-NOT: tensor.cast %[[K]]
// CHECK: %[[O:.+]], %[[S:.+]] = hymir.scan
// CHECK-NEXT: ins(%[[K]], %[[V]] : tensor<2x1x4xf32>, tensor<2x1x6xf32>)
// CHECK-NEXT: inits(%[[S0]] : tensor<2x4x6xf32>) -> (tensor<2x1x6xf32>)
// CHECK-DAG: %[[OC:.+]] = tensor.cast %[[O]] : tensor<2x1x6xf32> to tensor<?x?x6xf32>
// CHECK-DAG: %[[SC:.+]] = tensor.cast %[[S]] : tensor<2x4x6xf32> to tensor<?x4x6xf32>
// CHECK: return %[[OC]], %[[SC]]
func.func @scan_static_sizes(%k: tensor<2x1x4xf32>, %v: tensor<2x1x6xf32>, %s0: tensor<2x4x6xf32>)
    -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  %kd = tensor.cast %k : tensor<2x1x4xf32> to tensor<?x?x4xf32>
  %vd = tensor.cast %v : tensor<2x1x6xf32> to tensor<?x?x6xf32>
  %sd = tensor.cast %s0 : tensor<2x4x6xf32> to tensor<?x4x6xf32>
  %o, %s = hymir.scan ins(%kd, %vd : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%sd : tensor<?x4x6xf32>)
      -> (tensor<?x?x6xf32>) {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %kv : tensor<4x6xf32>
    %r = hymir.read %sn, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %r, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %s : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// A cast to a more static type is a check, not an erased size: it stays.
// CHECK-LABEL: func.func @scan_keeps_narrowing_cast
// CHECK: %[[C:.+]] = tensor.cast %{{.+}} : tensor<?x?x4xf32> to tensor<2x?x4xf32>
// CHECK: hymir.scan
// CHECK-NEXT: ins(%[[C]] : tensor<2x?x4xf32>)
func.func @scan_keeps_narrowing_cast(%k: tensor<?x?x4xf32>, %s0: tensor<2x4x4xf32>)
    -> tensor<2x4x4xf32> {
  %kd = tensor.cast %k : tensor<?x?x4xf32> to tensor<2x?x4xf32>
  %o, %s = hymir.scan ins(%kd : tensor<2x?x4xf32>) inits(%s0 : tensor<2x4x4xf32>)
      -> (tensor<2x?x4xf32>) {
  ^bb0(%kt: tensor<4xf32>, %st: tensor<4x4xf32>):
    %kk = hymir.outer %kt, %kt : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %st, %kk : tensor<4x4xf32>
    %r = hymir.read %sn, %kt : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %r, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %s : tensor<2x4x4xf32>
}
