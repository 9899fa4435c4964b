func.func @attention_example(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>,
                             %v: tensor<?x?x2x20xf32>) -> tensor<?x?x4x20xf32> {
    %o = hymir.attention %q, %k, %v {causal, scale = 0.288675 : f32, window = 13 : i64}
        : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
        -> tensor<?x?x4x20xf32>
  return %o : tensor<?x?x4x20xf32>
}
func.func @attention_plain(%q: tensor<2x7x2x8xbf16>, %k: tensor<2x9x2x8xbf16>,
                           %v: tensor<2x9x2x16xbf16>) -> tensor<2x7x2x16xbf16> {
  %o = hymir.attention %q, %k, %v : tensor<2x7x2x8xbf16>, tensor<2x9x2x8xbf16>,
      tensor<2x9x2x16xbf16> -> tensor<2x7x2x16xbf16>
  return %o : tensor<2x7x2x16xbf16>
}
func.func @attention_softcap_sinks(%q: tensor<?x?x3x20xf32>, %k: tensor<?x?x1x20xf32>,
                                   %v: tensor<?x?x1x20xf32>, %sinks: tensor<3xf32>)
    -> tensor<?x?x3x20xf32> {
  %o = hymir.attention %q, %k, %v sinks(%sinks : tensor<3xf32>) {causal, softcap = 30.0 : f32}
      : tensor<?x?x3x20xf32>, tensor<?x?x1x20xf32>, tensor<?x?x1x20xf32> -> tensor<?x?x3x20xf32>
  return %o : tensor<?x?x3x20xf32>
}
func.func @attention_score_mod(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x4x12xf32>,
                               %v: tensor<?x?x4x12xf32>) -> tensor<?x?x4x12xf32> {
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
func.func @attention_decode_example(%q: tensor<?x4x12xf32>, %kc: tensor<?x?x2x12xf32>,
                                    %vc: tensor<?x?x2x20xf32>) -> tensor<?x4x20xf32> {
    %o = hymir.attention_decode %q, %kc, %vc {scale = 0.288675 : f32}
        : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
        -> tensor<?x4x20xf32>
  return %o : tensor<?x4x20xf32>
}
func.func @attention_decode_lengths(%q: tensor<2x4x12xf32>, %kc: tensor<2x?x2x12xf32>,
                                    %vc: tensor<2x?x2x20xf32>, %l32: tensor<?xi32>,
                                    %l64: tensor<2xi64>) -> (tensor<2x4x20xf32>, tensor<2x4x20xf32>) {
  %a = hymir.attention_decode %q, %kc, %vc lengths(%l32 : tensor<?xi32>) {window = 8 : i64, softcap = 50.0 : f32}
      : tensor<2x4x12xf32>, tensor<2x?x2x12xf32>, tensor<2x?x2x20xf32> -> tensor<2x4x20xf32>
  %b = hymir.attention_decode %q, %kc, %vc lengths(%l64 : tensor<2xi64>)
      : tensor<2x4x12xf32>, tensor<2x?x2x12xf32>, tensor<2x?x2x20xf32> -> tensor<2x4x20xf32>
  return %a, %b : tensor<2x4x20xf32>, tensor<2x4x20xf32>
}
func.func @causal_conv1d_example(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>, %b: tensor<36xf32>,
                                 %s0: tensor<?x3x36xf32>) -> (tensor<?x?x36xf32>, tensor<?x3x36xf32>) {
    %y, %s = hymir.causal_conv1d %x, %w bias(%b) state(%s0) {activation = #hymir.activation<silu>}
        : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<36xf32>, tensor<?x3x36xf32>
        -> tensor<?x?x36xf32>, tensor<?x3x36xf32>
  return %y, %s : tensor<?x?x36xf32>, tensor<?x3x36xf32>
}
func.func @causal_conv1d_variants(%x: tensor<2x5x8xf16>, %w: tensor<8x1xf16>, %b: tensor<8xf16>,
                                  %xd: tensor<2x1x8xf32>, %wd: tensor<8x3xf32>, %s0: tensor<2x2x8xf32>) {
  %y0 = hymir.causal_conv1d %x, %w : tensor<2x5x8xf16>, tensor<8x1xf16> -> tensor<2x5x8xf16>
  %y1 = hymir.causal_conv1d %x, %w bias(%b) : tensor<2x5x8xf16>, tensor<8x1xf16>, tensor<8xf16>
      -> tensor<2x5x8xf16>
  %y2, %s2 = hymir.causal_conv1d %xd, %wd state(%s0) : tensor<2x1x8xf32>, tensor<8x3xf32>,
      tensor<2x2x8xf32> -> tensor<2x1x8xf32>, tensor<2x2x8xf32>
  %y3 = hymir.causal_conv1d %x, %w {activation = #hymir.activation<none>}
      : tensor<2x5x8xf16>, tensor<8x1xf16> -> tensor<2x5x8xf16>
  return
}
func.func @l2_norm(%q: tensor<?x?x2x12xf32>) -> (tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>) {
    %y = hymir.l2_norm %q {eps = 1.0e-06 : f32} : tensor<?x?x2x12xf32>
  %y1 = hymir.l2_norm %q {eps = 0.0 : f32} : tensor<?x?x2x12xf32>
  return %y, %y1 : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>
}
func.func @layer_norm(%z: tensor<20xf32>, %x: tensor<?x?x2x20xbf16>) -> (tensor<20xf32>, tensor<?x?x2x20xbf16>) {
    %y = hymir.layer_norm %z {eps = 1.0e-06 : f32} : tensor<20xf32>
  %y1 = hymir.layer_norm %x {eps = 1.0e-05 : f32} : tensor<?x?x2x20xbf16>
  return %y, %y1 : tensor<20xf32>, tensor<?x?x2x20xbf16>
}
func.func @rms_norm(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>, %v: tensor<64xf32>)
    -> (tensor<?x?x64xf32>, tensor<64xf32>) {
    %y = hymir.rms_norm %x, %w {eps = 1.0e-06 : f32} : tensor<?x?x64xf32>, tensor<64xf32>
  %y1 = hymir.rms_norm %v, %w {eps = 1.0e-05 : f32} : tensor<64xf32>, tensor<64xf32>
  return %y, %y1 : tensor<?x?x64xf32>, tensor<64xf32>
}
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
  return %o, %s : tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>
}
func.func @scan_no_heads(%x: tensor<?x?x8xf32>, %a: tensor<?x?x8xf32>, %h0: tensor<?x8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  %y, %h = hymir.scan ins(%x, %a : tensor<?x?x8xf32>, tensor<?x?x8xf32>)
      inits(%h0 : tensor<?x8xf32>) -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %at: tensor<8xf32>, %ht: tensor<8xf32>):
    %d = arith.mulf %at, %ht : tensor<8xf32>
    %hn = arith.addf %d, %xt : tensor<8xf32>
    hymir.yield %hn, %hn : tensor<8xf32>, tensor<8xf32>
  }
  return %y, %h : tensor<?x?x8xf32>, tensor<?x8xf32>
}
func.func @scan_params_index(%k: tensor<2x?x4x12xf32>, %v: tensor<2x?x4x20xf32>, %dt: tensor<2x?x4xf32>,
                             %w: tensor<4x12xf32>, %c: tensor<1xf32>, %s0: tensor<2x4x12x20xf32>)
    -> tensor<2x4x12x20xf32> {
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
func.func @scan_tuple_state(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>,
                            %i: tensor<?x?x2xf32>, %lf: tensor<?x?x2xf32>, %c0: tensor<?x2x12x20xf32>,
                            %n0: tensor<?x2x12xf32>, %m0: tensor<?x2xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>) {
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
func.func @scan_outputs(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x?x4xf32>, tensor<?x?xf32>, tensor<?x4xf32>) {
  %a = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %sn = arith.addf %st, %xt : tensor<4xf32>
    hymir.yield %sn : tensor<4xf32>
  }
  %o1, %o2, %b = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>)
      -> (tensor<?x?x4xf32>, tensor<?x?xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %sn = arith.addf %st, %xt : tensor<4xf32>
    %tot = hymir.sum %sn : tensor<4xf32> -> f32
    hymir.yield %st, %tot, %sn : tensor<4xf32>, f32, tensor<4xf32>
  }
  return %a, %o1, %o2, %b : tensor<?x4xf32>, tensor<?x?x4xf32>, tensor<?x?xf32>, tensor<?x4xf32>
}
func.func @recurrence_example(%x: tensor<?x?x8xf32>, %h0: tensor<?x8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
    %h, %hT = hymir.recurrence ins(%x : tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>)
        -> (tensor<?x?x8xf32>) {
    ^bb0(%xt: tensor<8xf32>, %ht: tensor<8xf32>):
      %s = arith.addf %xt, %ht : tensor<8xf32>
      %n = math.tanh %s : tensor<8xf32>
      hymir.yield %n, %n : tensor<8xf32>, tensor<8xf32>
    }
  return %h, %hT : tensor<?x?x8xf32>, tensor<?x8xf32>
}
func.func @recurrence_heads_params(%x: tensor<?x?x2x10xf32>, %r: tensor<2x10xf32>,
                                   %h0: tensor<?x2x10xf32>, %c0: tensor<?x2x10xf32>)
    -> (tensor<?x2x10xf32>, tensor<?x2x10xf32>) {
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
func.func @yield_example(%x: tensor<?x?x12x20xf32>, %y: tensor<?x?x20xf32>, %s0: tensor<?x12x20xf32>)
    -> (tensor<?x?x20xf32>, tensor<?x12x20xf32>) {
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
func.func @scale(%s: tensor<12x20xf32>, %a: tensor<12xf32>, %b: tensor<20xf32>, %c: f32,
                 %h: tensor<2x3x4xf16>, %d: f16) {
    %sd = hymir.scale %s, %a along rows : tensor<12x20xf32>, tensor<12xf32>
  %s1 = hymir.scale %s, %b along cols : tensor<12x20xf32>, tensor<20xf32>
  %s2 = hymir.scale %s, %c : tensor<12x20xf32>, f32
  %s3 = hymir.scale %h, %d : tensor<2x3x4xf16>, f16
  return
}
func.func @outer(%k: tensor<12xf32>, %v: tensor<20xf32>, %kr: tensor<3x12xf32>, %vr: tensor<3x20xf32>) {
    %kv = hymir.outer %k, %v : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
  %kvr = hymir.outer %kr, %vr : tensor<3x12xf32>, tensor<3x20xf32> -> tensor<12x20xf32>
  return
}
func.func @read(%s: tensor<12x20xf32>, %q: tensor<12xf32>, %x: tensor<20xf32>) {
    %o = hymir.read %s, %q : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
  %o1 = hymir.read %s, %q along rows : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
  %o2 = hymir.read %s, %x along cols : tensor<12x20xf32>, tensor<20xf32> -> tensor<12xf32>
  return
}
func.func @dot(%q: tensor<12xf32>, %k: tensor<12xf32>, %a: tensor<3x4xbf16>) -> (f32, bf16) {
    %d = hymir.dot %q, %k : tensor<12xf32>, tensor<12xf32> -> f32
  %d2 = hymir.dot %a, %a : tensor<3x4xbf16>, tensor<3x4xbf16> -> bf16
  return %d, %d2 : f32, bf16
}
func.func @sum(%x: tensor<20xf32>, %a: tensor<3x4xbf16>) -> (f32, bf16) {
    %s = hymir.sum %x : tensor<20xf32> -> f32
  %s2 = hymir.sum %a : tensor<3x4xbf16> -> bf16
  return %s, %s2 : f32, bf16
}
func.func @mix(%m: tensor<10x10xf32>, %s: tensor<10x12x20xf32>, %m2: tensor<2x10xf32>, %v: tensor<10x8xf32>) {
    %y = hymir.mix %m, %s : tensor<10x10xf32>, tensor<10x12x20xf32> -> tensor<10x12x20xf32>
  %y2 = hymir.mix %m2, %v : tensor<2x10xf32>, tensor<10x8xf32> -> tensor<2x8xf32>
  return
}
func.func @rotary(%k: tensor<12xf32>, %phi: tensor<3xf32>, %x: tensor<5x8xf32>, %ang: tensor<5x4xf32>) {
    %r = hymir.rotary %k, %phi {interleaved} : tensor<12xf32>, tensor<3xf32>
  %r2 = hymir.rotary %x, %ang : tensor<5x8xf32>, tensor<5x4xf32>
  return
}
