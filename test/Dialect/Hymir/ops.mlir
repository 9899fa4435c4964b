// RUN: hymir-opt %s | hymir-opt | FileCheck %s
// RUN: hymir-opt %s --mlir-print-op-generic | hymir-opt | FileCheck %s

// Round trip of every hymir op and every syntactic variant. The first block
// of each section is the op's `Example:` from HymirOps.td, verbatim.

//===----------------------------------------------------------------------===//
// hymir.attention
//===----------------------------------------------------------------------===//

// The Example: of hymir.attention.
// CHECK-LABEL: func.func @attention_example
func.func @attention_example(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>,
                             %v: tensor<?x?x2x20xf32>) -> tensor<?x?x4x20xf32> {
    %o = hymir.attention %q, %k, %v {causal, scale = 0.288675 : f32, window = 13 : i64}
        : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
        -> tensor<?x?x4x20xf32>
  // CHECK: hymir.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 2.886750e-01 : f32, window = 13 : i64}
  // CHECK-SAME: -> tensor<?x?x4x20xf32>
  return %o : tensor<?x?x4x20xf32>
}

// No attributes at all: non-causal, default scale, MHA.
// CHECK-LABEL: func.func @attention_plain
func.func @attention_plain(%q: tensor<2x7x2x8xbf16>, %k: tensor<2x9x2x8xbf16>,
                           %v: tensor<2x9x2x16xbf16>) -> tensor<2x7x2x16xbf16> {
  // CHECK: hymir.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x7x2x8xbf16>, tensor<2x9x2x8xbf16>, tensor<2x9x2x16xbf16> -> tensor<2x7x2x16xbf16>
  %o = hymir.attention %q, %k, %v : tensor<2x7x2x8xbf16>, tensor<2x9x2x8xbf16>,
      tensor<2x9x2x16xbf16> -> tensor<2x7x2x16xbf16>
  return %o : tensor<2x7x2x16xbf16>
}

// Causal with a softcap and attention sinks (MQA: one kv head).
// CHECK-LABEL: func.func @attention_softcap_sinks
// CHECK-SAME: %[[SINKS:[a-zA-Z0-9]+]]: tensor<3xf32>
func.func @attention_softcap_sinks(%q: tensor<?x?x3x20xf32>, %k: tensor<?x?x1x20xf32>,
                                   %v: tensor<?x?x1x20xf32>, %sinks: tensor<3xf32>)
    -> tensor<?x?x3x20xf32> {
  // CHECK: hymir.attention %{{.*}}, %{{.*}}, %{{.*}} sinks(%[[SINKS]] : tensor<3xf32>) {causal, softcap = 3.000000e+01 : f32}
  %o = hymir.attention %q, %k, %v sinks(%sinks : tensor<3xf32>) {causal, softcap = 30.0 : f32}
      : tensor<?x?x3x20xf32>, tensor<?x?x1x20xf32>, tensor<?x?x1x20xf32> -> tensor<?x?x3x20xf32>
  return %o : tensor<?x?x3x20xf32>
}

// A score_mod region (ALiBi-style bias −slope·(i − j) with a per-head slope).
// CHECK-LABEL: func.func @attention_score_mod
func.func @attention_score_mod(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x4x12xf32>,
                               %v: tensor<?x?x4x12xf32>) -> tensor<?x?x4x12xf32> {
  // CHECK: hymir.attention %{{.*}} {causal, window = 64 : i64} : {{.*}} -> tensor<?x?x4x12xf32> score_mod {
  // CHECK-NEXT: ^bb0(%[[S:.+]]: f32, %[[I:.+]]: index, %[[J:.+]]: index, %[[H:.+]]: index):
  // CHECK: %[[D:.+]] = arith.subi %[[I]], %[[J]] : index
  // CHECK: %[[R:.+]] = arith.subf %[[S]], %{{.*}} : f32
  // CHECK-NEXT: hymir.yield %[[R]] : f32
  %o = hymir.attention %q, %k, %v {causal, window = 64 : i64}
      : tensor<?x?x4x12xf32>, tensor<?x?x4x12xf32>, tensor<?x?x4x12xf32> -> tensor<?x?x4x12xf32>
      score_mod {
  ^bb0(%s: f32, %i: index, %j: index, %h: index):
    %d = arith.subi %i, %j : index
    %dh = arith.addi %d, %h : index
    %di = arith.index_cast %dh : index to i64
    %df = arith.sitofp %di : i64 to f32
    %slope = arith.constant 0.125 : f32
    %b = arith.mulf %slope, %df : f32
    %r = arith.subf %s, %b : f32
    hymir.yield %r : f32
  }
  return %o : tensor<?x?x4x12xf32>
}

//===----------------------------------------------------------------------===//
// hymir.attention_decode
//===----------------------------------------------------------------------===//

// The Example: of hymir.attention_decode (no lengths: every cached key is valid).
// CHECK-LABEL: func.func @attention_decode_example
func.func @attention_decode_example(%q: tensor<?x4x12xf32>, %kc: tensor<?x?x2x12xf32>,
                                    %vc: tensor<?x?x2x20xf32>) -> tensor<?x4x20xf32> {
    %o = hymir.attention_decode %q, %kc, %vc {scale = 0.288675 : f32}
        : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
        -> tensor<?x4x20xf32>
  // CHECK: hymir.attention_decode %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.886750e-01 : f32} : tensor<?x4x12xf32>
  return %o : tensor<?x4x20xf32>
}

// Per-sequence lengths (i32 and i64) with window and softcap.
// CHECK-LABEL: func.func @attention_decode_lengths
// CHECK-SAME: %[[L32:[a-zA-Z0-9]+]]: tensor<?xi32>, %[[L64:[a-zA-Z0-9]+]]: tensor<2xi64>
func.func @attention_decode_lengths(%q: tensor<2x4x12xf32>, %kc: tensor<2x?x2x12xf32>,
                                    %vc: tensor<2x?x2x20xf32>, %l32: tensor<?xi32>,
                                    %l64: tensor<2xi64>) -> (tensor<2x4x20xf32>, tensor<2x4x20xf32>) {
  // CHECK: hymir.attention_decode %{{.*}}, %{{.*}}, %{{.*}} lengths(%[[L32]] : tensor<?xi32>) {softcap = 5.000000e+01 : f32, window = 8 : i64}
  %a = hymir.attention_decode %q, %kc, %vc lengths(%l32 : tensor<?xi32>) {window = 8 : i64, softcap = 50.0 : f32}
      : tensor<2x4x12xf32>, tensor<2x?x2x12xf32>, tensor<2x?x2x20xf32> -> tensor<2x4x20xf32>
  // CHECK: hymir.attention_decode %{{.*}}, %{{.*}}, %{{.*}} lengths(%[[L64]] : tensor<2xi64>) :
  %b = hymir.attention_decode %q, %kc, %vc lengths(%l64 : tensor<2xi64>)
      : tensor<2x4x12xf32>, tensor<2x?x2x12xf32>, tensor<2x?x2x20xf32> -> tensor<2x4x20xf32>
  return %a, %b : tensor<2x4x20xf32>, tensor<2x4x20xf32>
}

//===----------------------------------------------------------------------===//
// hymir.causal_conv1d
//===----------------------------------------------------------------------===//

// The Example: of hymir.causal_conv1d (bias, state, SiLU).
// CHECK-LABEL: func.func @causal_conv1d_example
func.func @causal_conv1d_example(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>, %b: tensor<36xf32>,
                                 %s0: tensor<?x3x36xf32>) -> (tensor<?x?x36xf32>, tensor<?x3x36xf32>) {
    %y, %s = hymir.causal_conv1d %x, %w bias(%b) state(%s0) {activation = #hymir.activation<silu>}
        : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<36xf32>, tensor<?x3x36xf32>
        -> tensor<?x?x36xf32>, tensor<?x3x36xf32>
  // CHECK: hymir.causal_conv1d %{{.*}}, %{{.*}} bias(%{{.*}}) state(%{{.*}}) {activation = #hymir.activation<silu>}
  // CHECK-SAME: -> tensor<?x?x36xf32>, tensor<?x3x36xf32>
  return %y, %s : tensor<?x?x36xf32>, tensor<?x3x36xf32>
}

// No bias, no state, no activation; bias only; state only (decode, T = 1).
// CHECK-LABEL: func.func @causal_conv1d_variants
func.func @causal_conv1d_variants(%x: tensor<2x5x8xf16>, %w: tensor<8x1xf16>, %b: tensor<8xf16>,
                                  %xd: tensor<2x1x8xf32>, %wd: tensor<8x3xf32>, %s0: tensor<2x2x8xf32>) {
  // CHECK: hymir.causal_conv1d %{{.*}}, %{{.*}} : tensor<2x5x8xf16>, tensor<8x1xf16> -> tensor<2x5x8xf16>
  %y0 = hymir.causal_conv1d %x, %w : tensor<2x5x8xf16>, tensor<8x1xf16> -> tensor<2x5x8xf16>
  // CHECK: hymir.causal_conv1d %{{.*}}, %{{.*}} bias(%{{.*}}) : tensor<2x5x8xf16>, tensor<8x1xf16>, tensor<8xf16> -> tensor<2x5x8xf16>
  %y1 = hymir.causal_conv1d %x, %w bias(%b) : tensor<2x5x8xf16>, tensor<8x1xf16>, tensor<8xf16>
      -> tensor<2x5x8xf16>
  // CHECK: hymir.causal_conv1d %{{.*}}, %{{.*}} state(%{{.*}}) : tensor<2x1x8xf32>, tensor<8x3xf32>, tensor<2x2x8xf32> -> tensor<2x1x8xf32>, tensor<2x2x8xf32>
  %y2, %s2 = hymir.causal_conv1d %xd, %wd state(%s0) : tensor<2x1x8xf32>, tensor<8x3xf32>,
      tensor<2x2x8xf32> -> tensor<2x1x8xf32>, tensor<2x2x8xf32>
  // An explicit default activation is elided when printed.
  // CHECK: hymir.causal_conv1d %{{.*}}, %{{.*}} : tensor<2x5x8xf16>, tensor<8x1xf16> -> tensor<2x5x8xf16>
  %y3 = hymir.causal_conv1d %x, %w {activation = #hymir.activation<none>}
      : tensor<2x5x8xf16>, tensor<8x1xf16> -> tensor<2x5x8xf16>
  return
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

// The Example: of hymir.l2_norm (eps equal to the default is elided), then
// a non-default eps.
// CHECK-LABEL: func.func @l2_norm
func.func @l2_norm(%q: tensor<?x?x2x12xf32>) -> (tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>) {
    %y = hymir.l2_norm %q {eps = 1.0e-06 : f32} : tensor<?x?x2x12xf32>
  // CHECK: hymir.l2_norm %{{.*}} : tensor<?x?x2x12xf32>
  // CHECK: hymir.l2_norm %{{.*}} {eps = 0.000000e+00 : f32} : tensor<?x?x2x12xf32>
  %y1 = hymir.l2_norm %q {eps = 0.0 : f32} : tensor<?x?x2x12xf32>
  return %y, %y1 : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>
}

// The Example: of hymir.layer_norm, then a non-default eps on a sequence.
// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%z: tensor<20xf32>, %x: tensor<?x?x2x20xbf16>) -> (tensor<20xf32>, tensor<?x?x2x20xbf16>) {
    %y = hymir.layer_norm %z {eps = 1.0e-06 : f32} : tensor<20xf32>
  // CHECK: hymir.layer_norm %{{.*}} : tensor<20xf32>
  // CHECK: hymir.layer_norm %{{.*}} {eps = 9.99999974E-6 : f32} : tensor<?x?x2x20xbf16>
  %y1 = hymir.layer_norm %x {eps = 1.0e-05 : f32} : tensor<?x?x2x20xbf16>
  return %y, %y1 : tensor<20xf32>, tensor<?x?x2x20xbf16>
}

// The Example: of hymir.rms_norm, then without eps and on a per-step vector.
// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>, %v: tensor<64xf32>)
    -> (tensor<?x?x64xf32>, tensor<64xf32>) {
    %y = hymir.rms_norm %x, %w {eps = 1.0e-06 : f32} : tensor<?x?x64xf32>, tensor<64xf32>
  // CHECK: hymir.rms_norm %{{.*}}, %{{.*}} : tensor<?x?x64xf32>, tensor<64xf32>
  // CHECK: hymir.rms_norm %{{.*}}, %{{.*}} {eps = 9.99999974E-6 : f32} : tensor<64xf32>, tensor<64xf32>
  %y1 = hymir.rms_norm %v, %w {eps = 1.0e-05 : f32} : tensor<64xf32>, tensor<64xf32>
  return %y, %y1 : tensor<?x?x64xf32>, tensor<64xf32>
}

//===----------------------------------------------------------------------===//
// hymir.scan
//===----------------------------------------------------------------------===//

// The Example: of hymir.scan (gated delta rule, GVA 2:4).
// CHECK-LABEL: func.func @scan_example
func.func @scan_example(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x4x20xf32>,
                        %g: tensor<?x?x4xf32>, %beta: tensor<?x?x4xf32>, %s0: tensor<?x4x12x20xf32>)
    -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>) {
    %o, %s = hymir.scan heads = 4
        ins(%q, %k, %v, %g, %beta : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
            tensor<?x?x4x20xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
        inits(%s0 : tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>) {
    ^bb0(%qt: tensor<12xf32>, %kt: tensor<12xf32>, %vt: tensor<20xf32>,
         %gt: f32, %bt: f32, %st: tensor<12x20xf32>):
      %a = math.exp %gt : f32
      %sd = hymir.scale %st, %a : tensor<12x20xf32>, f32
      %p = hymir.read %sd, %kt : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
      %e = arith.subf %vt, %p : tensor<20xf32>
      %u = hymir.scale %e, %bt : tensor<20xf32>, f32
      %ku = hymir.outer %kt, %u : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
      %sn = arith.addf %sd, %ku : tensor<12x20xf32>
      %ot = hymir.read %sn, %qt : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
      hymir.yield %ot, %sn : tensor<20xf32>, tensor<12x20xf32>
    }
  // CHECK: %{{.+}}, %{{.+}} = hymir.scan heads = 4
  // CHECK-NEXT: ins(%{{.*}} : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x4x20xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
  // CHECK-NEXT: inits(%{{.*}} : tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>) {
  // CHECK-NEXT: ^bb0(%{{.*}}: tensor<12xf32>, %{{.*}}: tensor<12xf32>, %{{.*}}: tensor<20xf32>, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: tensor<12x20xf32>):
  // CHECK: hymir.yield %{{.*}}, %{{.*}} : tensor<20xf32>, tensor<12x20xf32>
  // CHECK-NEXT: }
  return %o, %s : tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>
}

// Without heads: no head axis anywhere; a vector state (HGRN-style).
// CHECK-LABEL: func.func @scan_no_heads
func.func @scan_no_heads(%x: tensor<?x?x8xf32>, %a: tensor<?x?x8xf32>, %h0: tensor<?x8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  // CHECK: hymir.scan
  // CHECK-NOT: heads
  // CHECK-SAME: {{$}}
  // CHECK-NEXT: ins(%{{.*}}, %{{.*}} : tensor<?x?x8xf32>, tensor<?x?x8xf32>)
  // CHECK-NEXT: inits(%{{.*}} : tensor<?x8xf32>) -> (tensor<?x?x8xf32>) {
  %y, %h = hymir.scan ins(%x, %a : tensor<?x?x8xf32>, tensor<?x?x8xf32>)
      inits(%h0 : tensor<?x8xf32>) -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %at: tensor<8xf32>, %ht: tensor<8xf32>):
    %d = arith.mulf %at, %ht : tensor<8xf32>
    %hn = arith.addf %d, %xt : tensor<8xf32>
    hymir.yield %hn, %hn : tensor<8xf32>, tensor<8xf32>
  }
  return %y, %h : tensor<?x?x8xf32>, tensor<?x8xf32>
}

// Per-head params (a [H, K] decay and an [Hp] scalar with Hp = 1), the time
// index block argument, and a scalar (rank-0 per step) input.
// CHECK-LABEL: func.func @scan_params_index
func.func @scan_params_index(%k: tensor<2x?x4x12xf32>, %v: tensor<2x?x4x20xf32>, %dt: tensor<2x?x4xf32>,
                             %w: tensor<4x12xf32>, %c: tensor<1xf32>, %s0: tensor<2x4x12x20xf32>)
    -> tensor<2x4x12x20xf32> {
  // CHECK: hymir.scan heads = 4
  // CHECK-NEXT: ins(%{{.*}} : tensor<2x?x4x12xf32>, tensor<2x?x4x20xf32>, tensor<2x?x4xf32>)
  // CHECK-NEXT: params(%{{.*}}, %{{.*}} : tensor<4x12xf32>, tensor<1xf32>)
  // CHECK-NEXT: inits(%{{.*}} : tensor<2x4x12x20xf32>) -> () {
  // CHECK-NEXT: ^bb0(%[[T:.+]]: index, %{{.*}}: tensor<12xf32>, %{{.*}}: tensor<20xf32>, %{{.*}}: f32, %{{.*}}: tensor<12xf32>, %{{.*}}: f32, %{{.*}}: tensor<12x20xf32>):
  // CHECK: arith.index_cast %[[T]]
  %s = hymir.scan heads = 4 ins(%k, %v, %dt : tensor<2x?x4x12xf32>, tensor<2x?x4x20xf32>, tensor<2x?x4xf32>)
      params(%w, %c : tensor<4x12xf32>, tensor<1xf32>)
      inits(%s0 : tensor<2x4x12x20xf32>) -> () {
  ^bb0(%t: index, %kt: tensor<12xf32>, %vt: tensor<20xf32>, %dtt: f32, %wt: tensor<12xf32>,
       %ct: f32, %st: tensor<12x20xf32>):
    %ti = arith.index_cast %t : index to i64
    %tf = arith.sitofp %ti : i64 to f32
    %g = arith.mulf %tf, %ct : f32
    %sd = hymir.scale %st, %wt along rows : tensor<12x20xf32>, tensor<12xf32>
    %u = hymir.scale %vt, %g : tensor<20xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %kd = hymir.scale %ku, %dtt : tensor<12x20xf32>, f32
    %sn = arith.addf %sd, %kd : tensor<12x20xf32>
    hymir.yield %sn : tensor<12x20xf32>
  }
  return %s : tensor<2x4x12x20xf32>
}

// A tuple state (mLSTM: matrix C, normaliser n, stabiliser m) with a
// recorded transition attribute and an extra discardable attribute.
// CHECK-LABEL: func.func @scan_tuple_state
func.func @scan_tuple_state(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>,
                            %i: tensor<?x?x2xf32>, %lf: tensor<?x?x2xf32>, %c0: tensor<?x2x12x20xf32>,
                            %n0: tensor<?x2x12xf32>, %m0: tensor<?x2xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>) {
  // CHECK: %{{.+}}, %{{.+}}:3 = hymir.scan heads = 2
  // CHECK: inits(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>) -> (tensor<?x?x2x20xf32>)
  // CHECK-SAME: attributes {note = "mlstm", transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 1>} {
  // CHECK: %[[M:.+]] = arith.maximumf
  // CHECK: hymir.yield %{{.*}}, %{{.*}}, %{{.*}}, %[[M]] : tensor<20xf32>, tensor<12x20xf32>, tensor<12xf32>, f32
  %h, %c, %n, %m = hymir.scan heads = 2
      ins(%q, %k, %v, %i, %lf : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>,
          tensor<?x?x2xf32>, tensor<?x?x2xf32>)
      inits(%c0, %n0, %m0 : tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>)
      -> (tensor<?x?x2x20xf32>) attributes {note = "mlstm", transition = #hymir.transition<scalar,
          decay = scalar, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 1>} {
  ^bb0(%qt: tensor<12xf32>, %kt: tensor<12xf32>, %vt: tensor<20xf32>, %it: f32, %lft: f32,
       %ct: tensor<12x20xf32>, %nt: tensor<12xf32>, %mt: f32):
    %mf = arith.addf %mt, %lft : f32
    %mn = arith.maximumf %mf, %it : f32
    %fl = arith.subf %mf, %mn : f32
    %f = math.exp %fl : f32
    %il = arith.subf %it, %mn : f32
    %ig = math.exp %il : f32
    %cd = hymir.scale %ct, %f : tensor<12x20xf32>, f32
    %iv = hymir.scale %vt, %ig : tensor<20xf32>, f32
    %kv = hymir.outer %kt, %iv : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %cn = arith.addf %cd, %kv : tensor<12x20xf32>
    %nd = hymir.scale %nt, %f : tensor<12xf32>, f32
    %ik = hymir.scale %kt, %ig : tensor<12xf32>, f32
    %nn = arith.addf %nd, %ik : tensor<12xf32>
    %num = hymir.read %cn, %qt : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %den = hymir.dot %nn, %qt : tensor<12xf32>, tensor<12xf32> -> f32
    %ad = math.absf %den : f32
    %nm = arith.negf %mn : f32
    %em = math.exp %nm : f32
    %mx = arith.maximumf %ad, %em : f32
    %one = arith.constant 1.0 : f32
    %inv = arith.divf %one, %mx : f32
    %h = hymir.scale %num, %inv : tensor<20xf32>, f32
    hymir.yield %h, %cn, %nn, %mn : tensor<20xf32>, tensor<12x20xf32>, tensor<12xf32>, f32
  }
  return %h, %c, %n, %m : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>
}

// An empty output list (only the final state) and several outputs.
// CHECK-LABEL: func.func @scan_outputs
func.func @scan_outputs(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x?x4xf32>, tensor<?x?xf32>, tensor<?x4xf32>) {
  // CHECK: hymir.scan
  // CHECK-NEXT: ins(%{{.*}} : tensor<?x?x4xf32>)
  // CHECK-NEXT: inits(%{{.*}} : tensor<?x4xf32>) -> () {
  %a = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %sn = arith.addf %st, %xt : tensor<4xf32>
    hymir.yield %sn : tensor<4xf32>
  }
  // CHECK: %{{.+}}:2, %{{.+}} = hymir.scan
  // CHECK: -> (tensor<?x?x4xf32>, tensor<?x?xf32>) {
  // CHECK: hymir.yield %{{.*}}, %{{.*}}, %{{.*}} : tensor<4xf32>, f32, tensor<4xf32>
  %o1, %o2, %b = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>)
      -> (tensor<?x?x4xf32>, tensor<?x?xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %sn = arith.addf %st, %xt : tensor<4xf32>
    %tot = hymir.sum %sn : tensor<4xf32> -> f32
    hymir.yield %st, %tot, %sn : tensor<4xf32>, f32, tensor<4xf32>
  }
  return %a, %o1, %o2, %b : tensor<?x4xf32>, tensor<?x?x4xf32>, tensor<?x?xf32>, tensor<?x4xf32>
}

//===----------------------------------------------------------------------===//
// hymir.recurrence
//===----------------------------------------------------------------------===//

// The Example: of hymir.recurrence (a gated RNN cell).
// CHECK-LABEL: func.func @recurrence_example
func.func @recurrence_example(%x: tensor<?x?x8xf32>, %h0: tensor<?x8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
    %h, %hT = hymir.recurrence ins(%x : tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>)
        -> (tensor<?x?x8xf32>) {
    ^bb0(%xt: tensor<8xf32>, %ht: tensor<8xf32>):
      %s = arith.addf %xt, %ht : tensor<8xf32>
      %n = math.tanh %s : tensor<8xf32>
      hymir.yield %n, %n : tensor<8xf32>, tensor<8xf32>
    }
  // CHECK: hymir.recurrence
  // CHECK-NEXT: ins(%{{.*}} : tensor<?x?x8xf32>)
  // CHECK-NEXT: inits(%{{.*}} : tensor<?x8xf32>) -> (tensor<?x?x8xf32>) {
  // CHECK: math.tanh
  return %h, %hT : tensor<?x?x8xf32>, tensor<?x8xf32>
}

// Heads, params, the time index and two states (an LSTM-like cell).
// CHECK-LABEL: func.func @recurrence_heads_params
func.func @recurrence_heads_params(%x: tensor<?x?x2x10xf32>, %r: tensor<2x10xf32>,
                                   %h0: tensor<?x2x10xf32>, %c0: tensor<?x2x10xf32>)
    -> (tensor<?x2x10xf32>, tensor<?x2x10xf32>) {
  // CHECK: hymir.recurrence heads = 2
  // CHECK-NEXT: ins(%{{.*}} : tensor<?x?x2x10xf32>)
  // CHECK-NEXT: params(%{{.*}} : tensor<2x10xf32>)
  // CHECK-NEXT: inits(%{{.*}}, %{{.*}} : tensor<?x2x10xf32>, tensor<?x2x10xf32>) -> () {
  // CHECK-NEXT: ^bb0(%{{.*}}: index, %{{.*}}: tensor<10xf32>, %{{.*}}: tensor<10xf32>, %{{.*}}: tensor<10xf32>, %{{.*}}: tensor<10xf32>):
  %h, %c = hymir.recurrence heads = 2 ins(%x : tensor<?x?x2x10xf32>) params(%r : tensor<2x10xf32>)
      inits(%h0, %c0 : tensor<?x2x10xf32>, tensor<?x2x10xf32>) -> () {
  ^bb0(%t: index, %xt: tensor<10xf32>, %rt: tensor<10xf32>, %ht: tensor<10xf32>, %ct: tensor<10xf32>):
    %rh = arith.mulf %rt, %ht : tensor<10xf32>
    %z = arith.addf %xt, %rh : tensor<10xf32>
    %gate = math.tanh %z : tensor<10xf32>
    %cn = arith.mulf %gate, %ct : tensor<10xf32>
    %hn = hymir.l2_norm %cn : tensor<10xf32>
    hymir.yield %hn, %cn : tensor<10xf32>, tensor<10xf32>
  }
  return %h, %c : tensor<?x2x10xf32>, tensor<?x2x10xf32>
}

//===----------------------------------------------------------------------===//
// State algebra
//===----------------------------------------------------------------------===//

// The Example: of hymir.yield, inside a scan body.
// CHECK-LABEL: func.func @yield_example
func.func @yield_example(%x: tensor<?x?x12x20xf32>, %y: tensor<?x?x20xf32>, %s0: tensor<?x12x20xf32>)
    -> (tensor<?x?x20xf32>, tensor<?x12x20xf32>) {
  // CHECK: hymir.yield %{{.*}}, %{{.*}} : tensor<20xf32>, tensor<12x20xf32>
  %oo, %ss = hymir.scan ins(%x, %y : tensor<?x?x12x20xf32>, tensor<?x?x20xf32>)
      inits(%s0 : tensor<?x12x20xf32>) -> (tensor<?x?x20xf32>) {
  ^bb0(%xt: tensor<12x20xf32>, %ot: tensor<20xf32>, %st: tensor<12x20xf32>):
    %s = arith.addf %st, %xt : tensor<12x20xf32>
    %rc = hymir.read %s, %ot along cols : tensor<12x20xf32>, tensor<20xf32> -> tensor<12xf32>
    %p = hymir.read %st, %rc : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %o = arith.addf %p, %ot : tensor<20xf32>
    hymir.yield %o, %s : tensor<20xf32>, tensor<12x20xf32>
  }
  return %oo, %ss : tensor<?x?x20xf32>, tensor<?x12x20xf32>
}

// hymir.scale: the Example: (along rows), then along cols, by a scalar, on
// f16 and on a 3-D tensor by a scalar.
// CHECK-LABEL: func.func @scale
func.func @scale(%s: tensor<12x20xf32>, %a: tensor<12xf32>, %b: tensor<20xf32>, %c: f32,
                 %h: tensor<2x3x4xf16>, %d: f16) {
    %sd = hymir.scale %s, %a along rows : tensor<12x20xf32>, tensor<12xf32>
  // CHECK: hymir.scale %{{.*}}, %{{.*}} along rows : tensor<12x20xf32>, tensor<12xf32>
  // CHECK: hymir.scale %{{.*}}, %{{.*}} along cols : tensor<12x20xf32>, tensor<20xf32>
  // CHECK: hymir.scale %{{.*}}, %{{.*}} : tensor<12x20xf32>, f32
  // CHECK: hymir.scale %{{.*}}, %{{.*}} : tensor<2x3x4xf16>, f16
  %s1 = hymir.scale %s, %b along cols : tensor<12x20xf32>, tensor<20xf32>
  %s2 = hymir.scale %s, %c : tensor<12x20xf32>, f32
  %s3 = hymir.scale %h, %d : tensor<2x3x4xf16>, f16
  return
}

// hymir.outer: the Example: (1-D), then rank R = 3.
// CHECK-LABEL: func.func @outer
func.func @outer(%k: tensor<12xf32>, %v: tensor<20xf32>, %kr: tensor<3x12xf32>, %vr: tensor<3x20xf32>) {
    %kv = hymir.outer %k, %v : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
  // CHECK: hymir.outer %{{.*}}, %{{.*}} : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
  // CHECK: hymir.outer %{{.*}}, %{{.*}} : tensor<3x12xf32>, tensor<3x20xf32> -> tensor<12x20xf32>
  %kvr = hymir.outer %kr, %vr : tensor<3x12xf32>, tensor<3x20xf32> -> tensor<12x20xf32>
  return
}

// hymir.read: the Example: (default, along rows), an explicit `along rows`
// (printed as the default) and along cols.
// CHECK-LABEL: func.func @read
func.func @read(%s: tensor<12x20xf32>, %q: tensor<12xf32>, %x: tensor<20xf32>) {
    %o = hymir.read %s, %q : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
  // CHECK: hymir.read %{{.*}}, %{{.*}} : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
  // CHECK: hymir.read %{{.*}}, %{{.*}} : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
  // CHECK: hymir.read %{{.*}}, %{{.*}} along cols : tensor<12x20xf32>, tensor<20xf32> -> tensor<12xf32>
  %o1 = hymir.read %s, %q along rows : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
  %o2 = hymir.read %s, %x along cols : tensor<12x20xf32>, tensor<20xf32> -> tensor<12xf32>
  return
}

// hymir.dot: the Example:, then a 2-D bf16 operand.
// CHECK-LABEL: func.func @dot
func.func @dot(%q: tensor<12xf32>, %k: tensor<12xf32>, %a: tensor<3x4xbf16>) -> (f32, bf16) {
    %d = hymir.dot %q, %k : tensor<12xf32>, tensor<12xf32> -> f32
  // CHECK: hymir.dot %{{.*}}, %{{.*}} : tensor<12xf32>, tensor<12xf32> -> f32
  // CHECK: hymir.dot %{{.*}}, %{{.*}} : tensor<3x4xbf16>, tensor<3x4xbf16> -> bf16
  %d2 = hymir.dot %a, %a : tensor<3x4xbf16>, tensor<3x4xbf16> -> bf16
  return %d, %d2 : f32, bf16
}

// hymir.sum: the Example:, then a 2-D bf16 operand.
// CHECK-LABEL: func.func @sum
func.func @sum(%x: tensor<20xf32>, %a: tensor<3x4xbf16>) -> (f32, bf16) {
    %s = hymir.sum %x : tensor<20xf32> -> f32
  // CHECK: hymir.sum %{{.*}} : tensor<20xf32> -> f32
  // CHECK: hymir.sum %{{.*}} : tensor<3x4xbf16> -> bf16
  %s2 = hymir.sum %a : tensor<3x4xbf16> -> bf16
  return %s, %s2 : f32, bf16
}

// hymir.mix: the Example: (square), then a [2, 10] matrix over a vector array.
// CHECK-LABEL: func.func @mix
func.func @mix(%m: tensor<10x10xf32>, %s: tensor<10x12x20xf32>, %m2: tensor<2x10xf32>, %v: tensor<10x8xf32>) {
    %y = hymir.mix %m, %s : tensor<10x10xf32>, tensor<10x12x20xf32> -> tensor<10x12x20xf32>
  // CHECK: hymir.mix %{{.*}}, %{{.*}} : tensor<10x10xf32>, tensor<10x12x20xf32> -> tensor<10x12x20xf32>
  // CHECK: hymir.mix %{{.*}}, %{{.*}} : tensor<2x10xf32>, tensor<10x8xf32> -> tensor<2x8xf32>
  %y2 = hymir.mix %m2, %v : tensor<2x10xf32>, tensor<10x8xf32> -> tensor<2x8xf32>
  return
}

// hymir.rotary: the Example: (interleaved), then rotate-half on a batch.
// CHECK-LABEL: func.func @rotary
func.func @rotary(%k: tensor<12xf32>, %phi: tensor<3xf32>, %x: tensor<5x8xf32>, %ang: tensor<5x4xf32>) {
    %r = hymir.rotary %k, %phi {interleaved} : tensor<12xf32>, tensor<3xf32>
  // CHECK: hymir.rotary %{{.*}}, %{{.*}} {interleaved} : tensor<12xf32>, tensor<3xf32>
  // CHECK: hymir.rotary %{{.*}}, %{{.*}} : tensor<5x8xf32>, tensor<5x4xf32>
  %r2 = hymir.rotary %x, %ang : tensor<5x8xf32>, tensor<5x4xf32>
  return
}
