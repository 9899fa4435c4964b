// RUN: hymir-opt %s --hymir-fuse-into-mixers=remarks -split-input-file -verify-diagnostics | FileCheck %s

// DESIGN stage [3]: the per-token producers of a scan's inputs move into its
// step. Gated DeltaNet as a layer writes it, with GVA (2 q/k heads, 4 value
// heads): the q/k L2 norms (recomputed by the 2 value heads of a q/k head:
// 4 ops per element once more ≤ 8), the decay A · softplus(a + dt_bias) as a
// linalg.generic whose per-head operands become params, and sigmoid(b) as
// element-wise tensor ops followed by a generic (the whole chain is fused).

#id3 = affine_map<(b, t, h) -> (b, t, h)>
#hd3 = affine_map<(b, t, h) -> (h)>

// CHECK-LABEL: func.func @gdn
// CHECK-SAME:    (%[[Q:.+]]: tensor<?x?x2x12xf32>, %[[K:.+]]: tensor<?x?x2x12xf32>, %[[V:.+]]: tensor<?x?x4x20xf32>, %[[A:.+]]: tensor<?x?x4xf32>, %[[B:.+]]: tensor<?x?x4xf32>, %[[AH:.+]]: tensor<4xf32>, %[[BIAS:.+]]: tensor<4xf32>,
// CHECK-NOT:   hymir.l2_norm
// CHECK-NOT:   linalg.generic
// CHECK-NOT:   math.exp {{.*}} : tensor
// CHECK:       hymir.scan heads = 4
// CHECK-NEXT:    ins(%[[V]], %[[Q]], %[[K]], %[[A]], %[[B]] :
// CHECK-NEXT:    params(%[[AH]], %[[BIAS]] : tensor<4xf32>, tensor<4xf32>)
// CHECK:       ^bb0(%[[VT:.+]]: tensor<20xf32>, %[[QT:.+]]: tensor<12xf32>, %[[KT:.+]]: tensor<12xf32>, %[[AT:.+]]: f32, %[[BT:.+]]: f32, %[[AHT:.+]]: f32, %[[BIAST:.+]]: f32, %{{.+}}: tensor<12x20xf32>):
// sigmoid(b): negf and exp on the step's scalar, then the generic's payload.
// CHECK:         %[[BN:.+]] = arith.negf %[[BT]] : f32
// CHECK:         %[[BE:.+]] = math.exp %[[BN]] : f32
// CHECK:         %[[DEN:.+]] = arith.addf %{{.+}}, %[[BE]] : f32
// CHECK:         %[[BETA:.+]] = arith.divf %{{.+}}, %[[DEN]] : f32
// The decay, on the step's a and the head's params.
// CHECK:         %[[S:.+]] = arith.addf %[[AT]], %[[BIAST]] : f32
// CHECK:         math.log1p
// CHECK:         %[[G:.+]] = arith.mulf %[[AHT]], %{{.+}} : f32
// CHECK:         %[[KN:.+]] = hymir.l2_norm %[[KT]] : tensor<12xf32>
// CHECK:         %[[QN:.+]] = hymir.l2_norm %[[QT]] : tensor<12xf32>
// CHECK:         math.exp %[[G]] : f32
// CHECK:         hymir.read %{{.+}}, %[[KN]]
// CHECK:         hymir.scale %{{.+}}, %[[BETA]] : tensor<20xf32>, f32
// CHECK:         hymir.scale %[[QN]], %{{.+}} : tensor<12xf32>, f32
func.func @gdn(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x4x20xf32>,
               %a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>, %A: tensor<4xf32>,
               %dt_bias: tensor<4xf32>, %S0: tensor<?x4x12x20xf32>)
    -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %a, %c0 : tensor<?x?x4xf32>
  %T = tensor.dim %a, %c1 : tensor<?x?x4xf32>
  // expected-remark @below {{fused into the step of hymir.scan (input #0)}}
  %qn = hymir.l2_norm %q {eps = 1.0e-06 : f32} : tensor<?x?x2x12xf32>
  // expected-remark @below {{fused into the step of hymir.scan (input #0)}}
  %kn = hymir.l2_norm %k {eps = 1.0e-06 : f32} : tensor<?x?x2x12xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x4xf32>
  // expected-remark @below {{fused into the step of hymir.scan (input #1)}}
  %g = linalg.generic {indexing_maps = [#id3, #hd3, #hd3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a, %A, %dt_bias : tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>)
      outs(%e : tensor<?x?x4xf32>) {
  ^bb0(%x: f32, %Ah: f32, %bias: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %s = arith.addf %x, %bias : f32
    %ab = math.absf %s : f32
    %n = arith.negf %ab : f32
    %ex = math.exp %n : f32
    %l = math.log1p %ex : f32
    %p = arith.maximumf %s, %zero : f32
    %sp = arith.addf %p, %l : f32
    %r = arith.mulf %Ah, %sp : f32
    linalg.yield %r : f32
  } -> tensor<?x?x4xf32>
  // expected-remark @below {{fused into the step of hymir.scan (input #4)}}
  %bn = arith.negf %b : tensor<?x?x4xf32>
  // expected-remark @below {{fused into the step of hymir.scan (input #4)}}
  %be = math.exp %bn : tensor<?x?x4xf32>
  // expected-remark @below {{fused into the step of hymir.scan (input #1)}}
  %beta = linalg.generic {indexing_maps = [#id3, #id3],
                          iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%be : tensor<?x?x4xf32>) outs(%e : tensor<?x?x4xf32>) {
  ^bb0(%x: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %d = arith.addf %one, %x : f32
    %r = arith.divf %one, %d : f32
    linalg.yield %r : f32
  } -> tensor<?x?x4xf32>
  %o, %S_T = hymir.scan heads = 4
      ins(%qn, %kn, %v, %g, %beta : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
          tensor<?x?x4x20xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>) {
  ^bb0(%qt: tensor<12xf32>, %kt: tensor<12xf32>, %vt: tensor<20xf32>, %gt: f32, %bt: f32,
       %S: tensor<12x20xf32>):
    %scale = arith.constant 0.288675129 : f32
    %al = math.exp %gt : f32
    %sd = hymir.scale %S, %al : tensor<12x20xf32>, f32
    %pr = hymir.read %sd, %kt : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %er = arith.subf %vt, %pr : tensor<20xf32>
    %u = hymir.scale %er, %bt : tensor<20xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %sn = arith.addf %sd, %ku : tensor<12x20xf32>
    %qs = hymir.scale %qt, %scale : tensor<12xf32>, f32
    %ot = hymir.read %sn, %qs : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %ot, %sn : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>
}

// -----

// An RMS norm's weight, shared by every head, becomes a [1, K] param; a
// producer whose operand is already an input reuses its argument (k is both
// the scan's key and the operand of the query's producer here); a per-head
// [H, K] operand of a generic becomes a param as it is.

#id4 = affine_map<(b, t, h, d) -> (b, t, h, d)>
#hk4 = affine_map<(b, t, h, d) -> (h, d)>

// CHECK-LABEL: func.func @shared_weight
// CHECK-SAME:    (%[[Q:.+]]: tensor<?x?x2x8xf32>, %[[K:.+]]: tensor<?x?x2x8xf32>, %[[V:.+]]: tensor<?x?x2x8xf32>, %[[W:.+]]: tensor<8xf32>, %[[U:.+]]: tensor<2x8xf32>,
// CHECK:       %[[W1:.+]] = tensor.expand_shape %[[W]] {{\[\[}}0, 1]] output_shape [1, 8] : tensor<8xf32> into tensor<1x8xf32>
// CHECK:       hymir.scan heads = 2
// CHECK-NEXT:    ins(%[[K]], %[[V]], %[[Q]] :
// CHECK-NEXT:    params(%[[U]], %[[W1]] : tensor<2x8xf32>, tensor<1x8xf32>)
// CHECK:       ^bb0(%[[KT:.+]]: tensor<8xf32>, %[[VT:.+]]: tensor<8xf32>, %[[QT:.+]]: tensor<8xf32>, %[[UT:.+]]: tensor<8xf32>, %[[WT:.+]]: tensor<8xf32>, %{{.+}}: tensor<8x8xf32>):
// CHECK:         %[[QN:.+]] = hymir.rms_norm %[[QT]], %[[WT]] {eps = 9.99999974E-6 : f32} : tensor<8xf32>, tensor<8xf32>
// CHECK:         %[[QU:.+]] = arith.mulf %[[QN]], %[[UT]] : tensor<8xf32>
// CHECK:         %[[QK:.+]] = arith.addf %[[QU]], %[[KT]] : tensor<8xf32>
// CHECK:         hymir.read %{{.+}}, %[[QK]]
func.func @shared_weight(%q: tensor<?x?x2x8xf32>, %k: tensor<?x?x2x8xf32>, %v: tensor<?x?x2x8xf32>,
                         %w: tensor<8xf32>, %u: tensor<2x8xf32>, %S0: tensor<?x2x8x8xf32>)
    -> (tensor<?x?x2x8xf32>, tensor<?x2x8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %q, %c0 : tensor<?x?x2x8xf32>
  %T = tensor.dim %q, %c1 : tensor<?x?x2x8xf32>
  // expected-remark @below {{fused into the step of hymir.scan (input #2)}}
  %qn = hymir.rms_norm %q, %w {eps = 1.0e-05 : f32} : tensor<?x?x2x8xf32>, tensor<8xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x2x8xf32>
  // expected-remark @below {{fused into the step of hymir.scan (input #0)}}
  %qk = linalg.generic {indexing_maps = [#id4, #hk4, #id4, #id4],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%qn, %u, %k : tensor<?x?x2x8xf32>, tensor<2x8xf32>, tensor<?x?x2x8xf32>)
      outs(%e : tensor<?x?x2x8xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32, %out: f32):
    %m = arith.mulf %x, %y : f32
    %r = arith.addf %m, %z : f32
    linalg.yield %r : f32
  } -> tensor<?x?x2x8xf32>
  %o, %S_T = hymir.scan heads = 2
      ins(%qk, %k, %v : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>)
      inits(%S0 : tensor<?x2x8x8xf32>) -> (tensor<?x?x2x8xf32>) {
  ^bb0(%qt: tensor<8xf32>, %kt: tensor<8xf32>, %vt: tensor<8xf32>, %S: tensor<8x8xf32>):
    %kv = hymir.outer %kt, %vt : tensor<8xf32>, tensor<8xf32> -> tensor<8x8xf32>
    %sn = arith.addf %S, %kv : tensor<8x8xf32>
    %ot = hymir.read %sn, %qt : tensor<8x8xf32>, tensor<8xf32> -> tensor<8xf32>
    hymir.yield %ot, %sn : tensor<8xf32>, tensor<8x8xf32>
  }
  return %o, %S_T : tensor<?x?x2x8xf32>, tensor<?x2x8x8xf32>
}

// -----

// Left alone, each with why: a result with another user; a producer the
// step would recompute too often (8 heads read one key head: exp costs 8,
// 7 times over); a norm over the heads (the last dim of a [B, T, H] input);
// a generic that reduces.

#id4 = affine_map<(b, t, h, d) -> (b, t, h, d)>
#id3 = affine_map<(b, t, h) -> (b, t, h)>
#red = affine_map<(b, t, h, d) -> (b, t, h)>

// CHECK-LABEL: func.func @left_alone
// CHECK:       math.exp %{{.+}} : tensor<?x?x1x8xf32>
// CHECK:       hymir.l2_norm %{{.+}} : tensor<?x?x8xf32>
// CHECK:       linalg.generic
// CHECK:       hymir.scan heads = 8
func.func @left_alone(%q: tensor<?x?x8x8xf32>, %k: tensor<?x?x1x8xf32>, %v: tensor<?x?x8x8xf32>,
                      %g: tensor<?x?x8xf32>, %S0: tensor<?x8x8x8xf32>)
    -> (tensor<?x?x8x8xf32>, tensor<?x8x8x8xf32>, tensor<?x?x8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %q, %c0 : tensor<?x?x8x8xf32>
  %T = tensor.dim %q, %c1 : tensor<?x?x8x8xf32>
  // expected-remark @below {{not fused into hymir.scan (input #0): its result has other users (fusing would compute it twice)}}
  %qe = math.exp %q : tensor<?x?x8x8xf32>
  // expected-remark @below {{not fused into hymir.scan (input #1): the step would compute it 8 times (heads per input head), 8 ops per element each}}
  %ke = math.exp %k : tensor<?x?x1x8xf32>
  // expected-remark @below {{not fused into hymir.scan (input #3): a norm over a leading (batch, time or head) dim}}
  %gn = hymir.l2_norm %g {eps = 1.0e-06 : f32} : tensor<?x?x8xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x8xf32>
  %z = arith.constant 0.0 : f32
  %ez = linalg.fill ins(%z : f32) outs(%e : tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  // expected-remark @below {{not fused into hymir.scan (input #4): a linalg.generic with reductions, indices or several results}}
  %vs = linalg.generic {indexing_maps = [#id4, #red],
                        iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v : tensor<?x?x8x8xf32>) outs(%ez : tensor<?x?x8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?x?x8xf32>
  %o, %S_T = hymir.scan heads = 8
      ins(%qe, %ke, %v, %gn, %vs : tensor<?x?x8x8xf32>, tensor<?x?x1x8xf32>, tensor<?x?x8x8xf32>,
          tensor<?x?x8xf32>, tensor<?x?x8xf32>)
      inits(%S0 : tensor<?x8x8x8xf32>) -> (tensor<?x?x8x8xf32>) {
  ^bb0(%qt: tensor<8xf32>, %kt: tensor<8xf32>, %vt: tensor<8xf32>, %gt: f32, %st: f32,
       %S: tensor<8x8xf32>):
    %gs = arith.addf %gt, %st : f32
    %al = math.exp %gs : f32
    %sd = hymir.scale %S, %al : tensor<8x8xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<8xf32>, tensor<8xf32> -> tensor<8x8xf32>
    %sn = arith.addf %sd, %kv : tensor<8x8xf32>
    %ot = hymir.read %sn, %qt : tensor<8x8xf32>, tensor<8xf32> -> tensor<8xf32>
    hymir.yield %ot, %sn : tensor<8xf32>, tensor<8x8xf32>
  }
  return %o, %S_T, %qe : tensor<?x?x8x8xf32>, tensor<?x8x8x8xf32>, tensor<?x?x8x8xf32>
}

// -----

// hymir.recurrence, without heads and with the time index: tanh of the
// input moves into the step (after the index argument).

// CHECK-LABEL: func.func @recurrence
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x4xf32>,
// CHECK:       hymir.recurrence
// CHECK-NEXT:    ins(%[[X]] : tensor<?x?x4xf32>)
// CHECK:       ^bb0(%{{.+}}: index, %[[XT:.+]]: tensor<4xf32>, %{{.+}}: tensor<4xf32>):
// CHECK-NEXT:    %[[TX:.+]] = math.tanh %[[XT]] : tensor<4xf32>
func.func @recurrence(%x: tensor<?x?x4xf32>, %h0: tensor<?x4xf32>)
    -> (tensor<?x?x4xf32>, tensor<?x4xf32>) {
  // expected-remark @below {{fused into the step of hymir.recurrence (input #0)}}
  %tx = math.tanh %x : tensor<?x?x4xf32>
  %y, %h_T = hymir.recurrence
      ins(%tx : tensor<?x?x4xf32>)
      inits(%h0 : tensor<?x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%t: index, %xt: tensor<4xf32>, %h: tensor<4xf32>):
    %s = arith.addf %xt, %h : tensor<4xf32>
    %n = math.tanh %s : tensor<4xf32>
    hymir.yield %n, %n : tensor<4xf32>, tensor<4xf32>
  }
  return %y, %h_T : tensor<?x?x4xf32>, tensor<?x4xf32>
}

// -----

// The only input computed from constants alone stays: the scan's batch and
// time come from its inputs. A non-splat constant operand stays too.

// CHECK-LABEL: func.func @constants_only
// CHECK:       math.exp %{{.+}} : tensor<2x3x4xf32>
// CHECK:       arith.addf %{{.+}}, %{{.+}} : tensor<2x3x4xf32>
// CHECK:       hymir.recurrence
func.func @constants_only(%x: tensor<2x3x4xf32>, %h0: tensor<2x4xf32>)
    -> (tensor<2x3x4xf32>, tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<2x4xf32>) {
  %c = arith.constant dense<0.5> : tensor<2x3x4xf32>
  // expected-remark @below {{not fused into hymir.recurrence (input #0): no operand that varies per step}}
  %e = math.exp %c : tensor<2x3x4xf32>
  %y, %h_T = hymir.recurrence
      ins(%e : tensor<2x3x4xf32>)
      inits(%h0 : tensor<2x4xf32>) -> (tensor<2x3x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %s = arith.addf %xt, %h : tensor<4xf32>
    hymir.yield %s, %s : tensor<4xf32>, tensor<4xf32>
  }
  %d = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]], [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]]> : tensor<2x3x4xf32>
  // expected-remark @below {{not fused into hymir.recurrence (input #0): a constant operand that is not a splat}}
  %a = arith.addf %x, %d : tensor<2x3x4xf32>
  %y2, %h2 = hymir.recurrence
      ins(%a : tensor<2x3x4xf32>)
      inits(%h0 : tensor<2x4xf32>) -> (tensor<2x3x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %h: tensor<4xf32>):
    %s = arith.addf %xt, %h : tensor<4xf32>
    hymir.yield %s, %s : tensor<4xf32>, tensor<4xf32>
  }
  return %y, %h_T, %y2, %h2 : tensor<2x3x4xf32>, tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<2x4xf32>
}

// -----

// A generic that yields a constant: the step gets the constant; its operand
// x is already the recurrence's other input and keeps its one argument.

#id3 = affine_map<(b, t, h) -> (b, t, h)>

// CHECK-LABEL: func.func @yields_constant
// CHECK:       hymir.recurrence heads = 2
// CHECK-NEXT:    ins(%{{.+}} : tensor<?x?x2xf32>)
// CHECK:       ^bb0(%[[XT:.+]]: f32, %[[H:.+]]: f32):
// CHECK-NEXT:    %[[C:.+]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:    arith.addf %[[C]], %[[H]] : f32
func.func @yields_constant(%x: tensor<?x?x2xf32>, %h0: tensor<?x2xf32>)
    -> (tensor<?x?x2xf32>, tensor<?x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %x, %c0 : tensor<?x?x2xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x2xf32>
  %cst = arith.constant 2.0 : f32
  %e = tensor.empty(%B, %T) : tensor<?x?x2xf32>
  // expected-remark @below {{fused into the step of hymir.recurrence (input #0)}}
  %g = linalg.generic {indexing_maps = [#id3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<?x?x2xf32>) outs(%e : tensor<?x?x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %cst : f32
  } -> tensor<?x?x2xf32>
  %y, %h_T = hymir.recurrence heads = 2
      ins(%g, %x : tensor<?x?x2xf32>, tensor<?x?x2xf32>)
      inits(%h0 : tensor<?x2xf32>) -> (tensor<?x?x2xf32>) {
  ^bb0(%gt: f32, %xt: f32, %h: f32):
    %s = arith.addf %gt, %h : f32
    %s2 = arith.addf %s, %xt : f32
    hymir.yield %s2, %s2 : f32, f32
  }
  return %y, %h_T : tensor<?x?x2xf32>, tensor<?x2xf32>
}
