// RUN: hymir-opt %s -split-input-file -verify-diagnostics

// One case per invariant Cn of every hymir op (the numbering of HymirOps.td
// and of the verifier messages). Invariants enforced by ODS traits are
// written in the generic form and expect the trait's message.

//===----------------------------------------------------------------------===//
// hymir.attention
//===----------------------------------------------------------------------===//

// C1: every operand has rank 4.
func.func @attention_c1_rank(%q: tensor<?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C1: query, key and value must be rank 4 [B, T, heads, dim]}}
  %o = hymir.attention %q, %k, %v : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C1: query, key and value agree on B.
func.func @attention_c1_batch(%q: tensor<2x?x4x12xf32>, %k: tensor<3x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C1: query, key and value disagree on the batch size}}
  %o = hymir.attention %q, %k, %v : tensor<2x?x4x12xf32>, tensor<3x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C1: key and value agree on Tk.
func.func @attention_c1_key_length(%q: tensor<?x?x4x12xf32>, %k: tensor<?x5x2x12xf32>, %v: tensor<?x6x2x20xf32>) {
  // expected-error @+1 {{C1: key and value disagree on the key length}}
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x5x2x12xf32>, tensor<?x6x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C1: key and value agree on Hkv.
func.func @attention_c1_kv_heads(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x1x20xf32>) {
  // expected-error @+1 {{C1: key and value disagree on the number of kv heads}}
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x1x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C1: query and key agree on K.
func.func @attention_c1_head_dim(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x16xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C1: query head dim 12 differs from key head dim 16}}
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C2: Hq is a multiple of Hkv.
func.func @attention_c2_heads(%q: tensor<?x?x3x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C2: query heads (3) must be a static multiple of kv heads (2)}}
  %o = hymir.attention %q, %k, %v : tensor<?x?x3x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x3x20xf32>
  return
}

// -----

// C2: the head counts are static.
func.func @attention_c2_dynamic_heads(%q: tensor<?x?x?x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C2: query heads (?) must be a static multiple of kv heads (2)}}
  %o = hymir.attention %q, %k, %v : tensor<?x?x?x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x?x20xf32>
  return
}

// -----

// C3: the result is [B, Tq, Hq, V].
func.func @attention_c3_result(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C3: result must be [B, Tq, Hq, V] = [?, ?, 4, 20]}}
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x12xf32>
  return
}

// -----

// C4: window ≥ 1.
func.func @attention_c4_window(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C4: window must be at least 1, got 0}}
  %o = hymir.attention %q, %k, %v {causal, window = 0 : i64} : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C4: softcap > 0.
func.func @attention_c4_softcap(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C4: softcap must be positive}}
  %o = hymir.attention %q, %k, %v {softcap = -3.0 : f32} : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C4: scale is finite (here +inf).
func.func @attention_c4_scale(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C4: scale must be finite}}
  %o = hymir.attention %q, %k, %v {scale = 0x7F800000 : f32} : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C5: sinks are [Hq].
func.func @attention_c5_sinks(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{C5: sinks must be [Hq] = [4]}}
  %o = hymir.attention %q, %k, %v sinks(%s : tensor<2xf32>) : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return
}

// -----

// C6: score_mod takes (score, query position, key position, head).
func.func @attention_c6_score_mod_args(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C6: score_mod takes (score: float, query position: index, key position: index, head: index)}}
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32> score_mod {
  ^bb0(%s: f32, %i: index, %j: index):
    hymir.yield %s : f32
  }
  return
}

// -----

// C6: score_mod yields one score of the score type.
func.func @attention_c6_score_mod_yield(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C6: score_mod must yield one score of type 'f32'}}
  %o = hymir.attention %q, %k, %v : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32> score_mod {
  ^bb0(%s: f32, %i: index, %j: index, %h: index):
    hymir.yield %s, %s : f32, f32
  }
  return
}

//===----------------------------------------------------------------------===//
// hymir.attention_decode
//===----------------------------------------------------------------------===//

// -----

// C1: query has rank 3 (no time axis).
func.func @attention_decode_c1_rank(%q: tensor<?x1x4x12xf32>, %kc: tensor<?x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C1: query must be rank 3 [B, Hq, K] and caches rank 4 [B, L, Hkv, dim]}}
  %o = hymir.attention_decode %q, %kc, %vc : tensor<?x1x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x4x20xf32>
  return
}

// -----

// C1: the query and the caches agree on B.
func.func @attention_decode_c1_batch(%q: tensor<2x4x12xf32>, %kc: tensor<3x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C1: query and caches disagree on the batch size}}
  %o = hymir.attention_decode %q, %kc, %vc : tensor<2x4x12xf32>, tensor<3x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<2x4x20xf32>
  return
}

// -----

// C1: the caches agree on L and Hkv.
func.func @attention_decode_c1_caches(%q: tensor<?x4x12xf32>, %kc: tensor<?x8x2x12xf32>, %vc: tensor<?x9x2x20xf32>) {
  // expected-error @+1 {{C1: key and value caches disagree on length or heads}}
  %o = hymir.attention_decode %q, %kc, %vc : tensor<?x4x12xf32>, tensor<?x8x2x12xf32>, tensor<?x9x2x20xf32> -> tensor<?x4x20xf32>
  return
}

// -----

// C1: the query and the key cache agree on K.
func.func @attention_decode_c1_head_dim(%q: tensor<?x4x8xf32>, %kc: tensor<?x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C1: query head dim differs from key head dim}}
  %o = hymir.attention_decode %q, %kc, %vc : tensor<?x4x8xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x4x20xf32>
  return
}

// -----

// C1: Hq % Hkv = 0.
func.func @attention_decode_c1_heads(%q: tensor<?x3x12xf32>, %kc: tensor<?x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C1: query heads (3) must be a static multiple of kv heads (2)}}
  %o = hymir.attention_decode %q, %kc, %vc : tensor<?x3x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x3x20xf32>
  return
}

// -----

// C2: the result is [B, Hq, V].
func.func @attention_decode_c2_result(%q: tensor<?x4x12xf32>, %kc: tensor<?x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C2: result must be [B, Hq, V]}}
  %o = hymir.attention_decode %q, %kc, %vc : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x2x20xf32>
  return
}

// -----

// C3: lengths is a 1-D tensor of size B.
func.func @attention_decode_c3_lengths(%q: tensor<2x4x12xf32>, %kc: tensor<2x?x2x12xf32>, %vc: tensor<2x?x2x20xf32>, %l: tensor<3xi32>) {
  // expected-error @+1 {{C3: lengths must be a 1-D tensor of size B}}
  %o = hymir.attention_decode %q, %kc, %vc lengths(%l : tensor<3xi32>) : tensor<2x4x12xf32>, tensor<2x?x2x12xf32>, tensor<2x?x2x20xf32> -> tensor<2x4x20xf32>
  return
}

// -----

// C4: window ≥ 1.
func.func @attention_decode_c4_window(%q: tensor<?x4x12xf32>, %kc: tensor<?x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C4: window must be at least 1, got -2}}
  %o = hymir.attention_decode %q, %kc, %vc {window = -2 : i64} : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x4x20xf32>
  return
}

// -----

// C4: softcap > 0.
func.func @attention_decode_c4_softcap(%q: tensor<?x4x12xf32>, %kc: tensor<?x?x2x12xf32>, %vc: tensor<?x?x2x20xf32>) {
  // expected-error @+1 {{C4: softcap must be positive}}
  %o = hymir.attention_decode %q, %kc, %vc {softcap = 0.0 : f32} : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x4x20xf32>
  return
}

//===----------------------------------------------------------------------===//
// hymir.causal_conv1d
//===----------------------------------------------------------------------===//

// -----

// C1: the input is rank 3 [B, T, D].
func.func @causal_conv1d_c1_input_rank(%x: tensor<?x36xf32>, %w: tensor<36x4xf32>) {
  // expected-error @+1 {{C1: input must be rank 3 [B, T, D]}}
  %y = hymir.causal_conv1d %x, %w : tensor<?x36xf32>, tensor<36x4xf32> -> tensor<?x36xf32>
  return
}

// -----

// C1: the weight is [D, W].
func.func @causal_conv1d_c1_weight(%x: tensor<?x?x36xf32>, %w: tensor<4x36xf32>) {
  // expected-error @+1 {{C1: weight must be [D, W] with D = 36}}
  %y = hymir.causal_conv1d %x, %w : tensor<?x?x36xf32>, tensor<4x36xf32> -> tensor<?x?x36xf32>
  return
}

// -----

// C1: W is static and at least 1.
func.func @causal_conv1d_c1_width(%x: tensor<?x?x36xf32>, %w: tensor<36x?xf32>) {
  // expected-error @+1 {{C1: the kernel width W must be static and at least 1}}
  %y = hymir.causal_conv1d %x, %w : tensor<?x?x36xf32>, tensor<36x?xf32> -> tensor<?x?x36xf32>
  return
}

// -----

// C2: the bias is [D].
func.func @causal_conv1d_c2_bias(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{C2: bias must be [D]}}
  %y = hymir.causal_conv1d %x, %w bias(%b) : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<4xf32> -> tensor<?x?x36xf32>
  return
}

// -----

// C3: the state is [B, W-1, D].
func.func @causal_conv1d_c3_state_shape(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>, %s: tensor<?x4x36xf32>) {
  // expected-error @+1 {{C3: state must be [B, W-1, D] = [?, 3, 36]}}
  %y, %sf = hymir.causal_conv1d %x, %w state(%s) : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<?x4x36xf32> -> tensor<?x?x36xf32>, tensor<?x4x36xf32>
  return
}

// -----

// C3: a state operand returns a final state.
func.func @causal_conv1d_c3_missing_final(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>, %s: tensor<?x3x36xf32>) {
  // expected-error @+1 {{C3: a state operand requires a final state result of the same type}}
  %y = hymir.causal_conv1d %x, %w state(%s) : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<?x3x36xf32> -> tensor<?x?x36xf32>
  return
}

// -----

// C3: the final state has the state type.
func.func @causal_conv1d_c3_final_type(%x: tensor<2x?x36xf32>, %w: tensor<36x4xf32>, %s: tensor<2x3x36xf32>) {
  // expected-error @+1 {{C3: a state operand requires a final state result of the same type}}
  %y, %sf = hymir.causal_conv1d %x, %w state(%s) : tensor<2x?x36xf32>, tensor<36x4xf32>, tensor<2x3x36xf32> -> tensor<2x?x36xf32>, tensor<?x3x36xf32>
  return
}

// -----

// C3: a final state only with a state operand.
func.func @causal_conv1d_c3_final_without_state(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>) {
  // expected-error @+1 {{C3: a final state result requires a state operand}}
  %y, %sf = hymir.causal_conv1d %x, %w : tensor<?x?x36xf32>, tensor<36x4xf32> -> tensor<?x?x36xf32>, tensor<?x3x36xf32>
  return
}

// -----

// C4: the output has the input type.
func.func @causal_conv1d_c4_output(%x: tensor<?x?x36xf32>, %w: tensor<36x4xf32>) {
  // expected-error @+1 {{C4: the output must have the input type}}
  %y = hymir.causal_conv1d %x, %w : tensor<?x?x36xf32>, tensor<36x4xf32> -> tensor<2x?x36xf32>
  return
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

// -----

// C1 (l2_norm): the result type equals the operand type (AllTypesMatch).
func.func @l2_norm_c1_result_type(%x: tensor<4x12xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %y = "hymir.l2_norm"(%x) {eps = 1.0e-06 : f32} : (tensor<4x12xf32>) -> tensor<4x12xf16>
  return
}

// -----

// C1 (l2_norm): the operand has a last dimension to normalise.
func.func @l2_norm_c1_rank(%x: tensor<f32>) {
  // expected-error @+1 {{C1: the input must have rank at least 1}}
  %y = hymir.l2_norm %x : tensor<f32>
  return
}

// -----

// C2 (l2_norm): eps ≥ 0.
func.func @l2_norm_c2_eps(%x: tensor<4x12xf32>) {
  // expected-error @+1 {{C2: eps must be non-negative, got -1}}
  %y = hymir.l2_norm %x {eps = -1.0 : f32} : tensor<4x12xf32>
  return
}

// -----

// C1 (layer_norm): the result type equals the operand type (AllTypesMatch).
func.func @layer_norm_c1_result_type(%x: tensor<20xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %y = "hymir.layer_norm"(%x) {eps = 1.0e-06 : f32} : (tensor<20xf32>) -> tensor<21xf32>
  return
}

// -----

// C2 (layer_norm): eps ≥ 0.
func.func @layer_norm_c2_eps(%x: tensor<20xf32>) {
  // expected-error @+1 {{C2: eps must be non-negative}}
  %y = hymir.layer_norm %x {eps = -1.0e-06 : f32} : tensor<20xf32>
  return
}

// -----

// C1 (rms_norm): the result type equals the input type (AllTypesMatch).
func.func @rms_norm_c1_result_type(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %y = "hymir.rms_norm"(%x, %w) {eps = 1.0e-06 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

// C2 (rms_norm): the weight is 1-D of the last input dim.
func.func @rms_norm_c2_weight(%x: tensor<?x?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{C2: weight must be 1-D of the last input dim}}
  %y = hymir.rms_norm %x, %w : tensor<?x?x64xf32>, tensor<32xf32>
  return
}

// -----

// C3 (rms_norm): eps ≥ 0.
func.func @rms_norm_c3_eps(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{C3: eps must be non-negative}}
  %y = hymir.rms_norm %x, %w {eps = -0.5 : f32} : tensor<?x?x64xf32>, tensor<64xf32>
  return
}

//===----------------------------------------------------------------------===//
// hymir.scan: structural invariants C1..C8
//===----------------------------------------------------------------------===//

// -----

// C1: at least one input sequence.
func.func @scan_c1_no_input(%s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C1: needs at least one input sequence}}
  %s = hymir.scan inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C1: every per-step dim is static.
func.func @scan_c1_dynamic_step_dim(%x: tensor<?x?x?xf32>, %s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C1: input #0 has a dynamic per-step dim; only batch and time may be dynamic}}
  %s = hymir.scan ins(%x : tensor<?x?x?xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<?xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C2: inputs are [B, T, (Hx,) ...] (rank at least 3 with heads).
func.func @scan_c2_input_rank(%x: tensor<?x?xf32>, %s0: tensor<?x2x4xf32>) {
  // expected-error @+1 {{C2: input #0 must have rank at least 3 ([B, T, heads, ...])}}
  %s = hymir.scan heads = 2 ins(%x : tensor<?x?xf32>) inits(%s0 : tensor<?x2x4xf32>) -> () {
  ^bb0(%xt: f32, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C2: inputs agree on B.
func.func @scan_c2_batch(%x: tensor<2x?x4xf32>, %y: tensor<3x?x4xf32>, %s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C2: input #1 disagrees on the batch size}}
  %s = hymir.scan ins(%x, %y : tensor<2x?x4xf32>, tensor<3x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %yt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C2: inputs agree on T.
func.func @scan_c2_length(%x: tensor<?x5x4xf32>, %y: tensor<?x6x4xf32>, %s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C2: input #1 disagrees on the sequence length}}
  %s = hymir.scan ins(%x, %y : tensor<?x5x4xf32>, tensor<?x6x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %yt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C2: with heads, the input head count Hx divides H.
func.func @scan_c2_heads(%x: tensor<?x?x3x4xf32>, %s0: tensor<?x4x4xf32>) {
  // expected-error @+1 {{C2: input #0 has 3 heads, which must divide heads = 4}}
  %s = hymir.scan heads = 4 ins(%x : tensor<?x?x3x4xf32>) inits(%s0 : tensor<?x4x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C3: with heads, params have a head axis.
func.func @scan_c3_param_rank(%x: tensor<?x?x2x4xf32>, %p: tensor<f32>, %s0: tensor<?x2x4xf32>) {
  // expected-error @+1 {{C3: param #0 needs a head axis}}
  %s = hymir.scan heads = 2 ins(%x : tensor<?x?x2x4xf32>) params(%p : tensor<f32>) inits(%s0 : tensor<?x2x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %pt: f32, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C3: with heads, the param head count Hp divides H.
func.func @scan_c3_param_heads(%x: tensor<?x?x2x4xf32>, %p: tensor<3x4xf32>, %s0: tensor<?x2x4xf32>) {
  // expected-error @+1 {{C3: param #0 has 3 heads, which must divide heads = 2}}
  %s = hymir.scan heads = 2 ins(%x : tensor<?x?x2x4xf32>) params(%p : tensor<3x4xf32>) inits(%s0 : tensor<?x2x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %pt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C4: inits are [B, (H,) ...] (rank at least 2 with heads).
func.func @scan_c4_init_rank(%x: tensor<?x?x2x4xf32>, %s0: tensor<?xf32>) {
  // expected-error @+1 {{C4: init #0 must have rank at least 2}}
  %s = hymir.scan heads = 2 ins(%x : tensor<?x?x2x4xf32>) inits(%s0 : tensor<?xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: f32):
    hymir.yield %st : f32
  }
  return
}

// -----

// C4: states are f32 or f64, whatever the input type (DESIGN §2).
func.func @scan_c4_bf16_state(%x: tensor<?x?x2x4xbf16>, %s0: tensor<?x2x4xbf16>) {
  // expected-error @+1 {{C4: init #0 has element type 'bf16'; states are f32 or f64 whatever the input type (DESIGN §2): keep the state in f32 and widen bf16/f16 inputs with arith.extf in the body}}
  %o, %s = hymir.scan heads = 2 ins(%x : tensor<?x?x2x4xbf16>) inits(%s0 : tensor<?x2x4xbf16>) -> (tensor<?x?x2x4xbf16>) {
  ^bb0(%xt: tensor<4xbf16>, %st: tensor<4xbf16>):
    %n = arith.addf %st, %xt : tensor<4xbf16>
    hymir.yield %n, %n : tensor<4xbf16>, tensor<4xbf16>
  }
  return
}

// -----

// C4: the same for a recurrence (f16 state).
func.func @recurrence_c4_f16_state(%x: tensor<?x?x4xf16>, %s0: tensor<?x4xf16>) {
  // expected-error @+1 {{C4: init #0 has element type 'f16'; states are f32 or f64}}
  %s = hymir.recurrence ins(%x : tensor<?x?x4xf16>) inits(%s0 : tensor<?x4xf16>) -> () {
  ^bb0(%xt: tensor<4xf16>, %st: tensor<4xf16>):
    %n = math.tanh %st : tensor<4xf16>
    hymir.yield %n : tensor<4xf16>
  }
  return
}

// -----

// C4: inits agree with the inputs on B.
func.func @scan_c4_init_batch(%x: tensor<2x?x4xf32>, %s0: tensor<3x4xf32>) {
  // expected-error @+1 {{C4: init #0 disagrees on the batch size}}
  %s = hymir.scan ins(%x : tensor<2x?x4xf32>) inits(%s0 : tensor<3x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C4: with heads, inits have exactly H heads.
func.func @scan_c4_init_heads(%x: tensor<?x?x2x4xf32>, %s0: tensor<?x1x4xf32>) {
  // expected-error @+1 {{C4: init #0 has 1 heads, which must equal heads = 2}}
  %s = hymir.scan heads = 2 ins(%x : tensor<?x?x2x4xf32>) inits(%s0 : tensor<?x1x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C4: the finals have the init types (only writable in the generic form).
func.func @scan_c4_final_type(%x: tensor<2x?x4xf32>, %s0: tensor<2x4xf32>) {
  // expected-error @+1 {{C4: final state #0 must have the init type 'tensor<2x4xf32>'}}
  %s = "hymir.scan"(%x, %s0) <{operandSegmentSizes = array<i32: 1, 0, 1>, resultSegmentSizes = array<i32: 0, 1>}> ({
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }) : (tensor<2x?x4xf32>, tensor<2x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

// C5: outputs are [B, T, (H,) ...] matching the inputs.
func.func @scan_c5_output(%x: tensor<?x5x4xf32>, %s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C5: output #0 must be [B, T, ...] matching the inputs}}
  %o, %s = hymir.scan ins(%x : tensor<?x5x4xf32>) inits(%s0 : tensor<?x4xf32>) -> (tensor<?x6x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st, %st : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

// C5: with heads, outputs have exactly H heads.
func.func @scan_c5_output_heads(%x: tensor<?x?x1x4xf32>, %s0: tensor<?x2x4xf32>) {
  // expected-error @+1 {{C5: output #0 has 1 heads, which must equal heads = 2}}
  %o, %s = hymir.scan heads = 2 ins(%x : tensor<?x?x1x4xf32>) inits(%s0 : tensor<?x2x4xf32>) -> (tensor<?x?x1x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st, %st : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

// C6: one block argument per input, param and state.
func.func @scan_c6_arg_count(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C6: the body takes 1 arguments, expected 2 (an optional index, then one per input, param and state)}}
  %s = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C6: block arguments have the per-step types.
func.func @scan_c6_arg_type(%x: tensor<?x?x2x4xf32>, %s0: tensor<?x2x4xf32>) {
  // expected-error @+1 {{C6: body argument #0 has type 'tensor<2x4xf32>', expected 'tensor<4xf32>'}}
  %s = hymir.scan heads = 2 ins(%x : tensor<?x?x2x4xf32>) inits(%s0 : tensor<?x2x4xf32>) -> () {
  ^bb0(%xt: tensor<2x4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C7: the yield carries one value per output and per state.
func.func @scan_c7_yield_arity(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  %o, %s = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    // expected-error @+1 {{C7: yields 1 values, expected 1 outputs + 1 states}}
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C7: the yielded values have the per-step types.
func.func @scan_c7_yield_type(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  %o, %s = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> (tensor<?x?xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    // expected-error @+1 {{C7: yielded value #0 has type 'tensor<4xf32>', expected 'f32'}}
    hymir.yield %st, %st : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

// C8: heads ≥ 1.
func.func @scan_c8_heads(%x: tensor<?x?x1x4xf32>, %s0: tensor<?x0x4xf32>) {
  // expected-error @+1 {{C8: heads must be at least 1, got 0}}
  %s = hymir.scan heads = 0 ins(%x : tensor<?x?x1x4xf32>) inits(%s0 : tensor<?x0x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

//===----------------------------------------------------------------------===//
// hymir.recurrence: the same structural invariants C1..C8
//===----------------------------------------------------------------------===//

// -----

// C1: at least one input sequence.
func.func @recurrence_c1_no_input(%s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C1: needs at least one input sequence}}
  %s = hymir.recurrence inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C2: inputs agree on T.
func.func @recurrence_c2_length(%x: tensor<?x5x4xf32>, %y: tensor<?x6x4xf32>, %s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C2: input #1 disagrees on the sequence length}}
  %s = hymir.recurrence ins(%x, %y : tensor<?x5x4xf32>, tensor<?x6x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %yt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C1: params have static per-step dims too.
func.func @recurrence_c1_param_dynamic(%x: tensor<?x?x4xf32>, %p: tensor<?xf32>, %s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C1: param #0 has a dynamic per-step dim; only batch and time may be dynamic}}
  %s = hymir.recurrence ins(%x : tensor<?x?x4xf32>) params(%p : tensor<?xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %pt: tensor<?xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C3: with heads, the param head count divides H.
func.func @recurrence_c3_param_heads(%x: tensor<?x?x4x4xf32>, %p: tensor<3xf32>, %s0: tensor<?x4x4xf32>) {
  // expected-error @+1 {{C3: param #0 has 3 heads, which must divide heads = 4}}
  %s = hymir.recurrence heads = 4 ins(%x : tensor<?x?x4x4xf32>) params(%p : tensor<3xf32>) inits(%s0 : tensor<?x4x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %pt: f32, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C4: with heads, inits have exactly H heads.
func.func @recurrence_c4_init_heads(%x: tensor<?x?x2x4xf32>, %s0: tensor<?x4x4xf32>) {
  // expected-error @+1 {{C4: init #0 has 4 heads, which must equal heads = 2}}
  %s = hymir.recurrence heads = 2 ins(%x : tensor<?x?x2x4xf32>) inits(%s0 : tensor<?x4x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

// -----

// C5: outputs agree with the inputs on B.
func.func @recurrence_c5_output_batch(%x: tensor<2x?x4xf32>, %s0: tensor<2x4xf32>) {
  // expected-error @+1 {{C5: output #0 must be [B, T, ...] matching the inputs}}
  %o, %s = hymir.recurrence ins(%x : tensor<2x?x4xf32>) inits(%s0 : tensor<2x4xf32>) -> (tensor<3x?x4xf32>) {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st, %st : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

// C6: the state argument has the state's per-step type.
func.func @recurrence_c6_arg_type(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  // expected-error @+1 {{C6: body argument #1 has type 'f32', expected 'tensor<4xf32>'}}
  %s = hymir.recurrence ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: f32):
    %z = arith.constant dense<0.0> : tensor<4xf32>
    hymir.yield %z : tensor<4xf32>
  }
  return
}

// -----

// C7: the yield carries the new states with the state types.
func.func @recurrence_c7_yield_type(%x: tensor<?x?x4xf32>, %s0: tensor<?x4xf32>) {
  %s = hymir.recurrence ins(%x : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    %n = hymir.sum %st : tensor<4xf32> -> f32
    // expected-error @+1 {{C7: yielded value #0 has type 'f32', expected 'tensor<4xf32>'}}
    hymir.yield %n : f32
  }
  return
}

// -----

// C8: heads ≥ 1.
func.func @recurrence_c8_heads(%x: tensor<?x?x1x4xf32>, %s0: tensor<?x0x4xf32>) {
  // expected-error @+1 {{C8: heads must be at least 1, got -1}}
  %s = hymir.recurrence heads = -1 ins(%x : tensor<?x?x1x4xf32>) inits(%s0 : tensor<?x0x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %st: tensor<4xf32>):
    hymir.yield %st : tensor<4xf32>
  }
  return
}

//===----------------------------------------------------------------------===//
// State algebra
//===----------------------------------------------------------------------===//

// -----

// C1 (scale): the result type equals the input type (AllTypesMatch).
func.func @scale_c1_result_type(%s: tensor<4x6xf32>, %a: f32) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %r = "hymir.scale"(%s, %a) : (tensor<4x6xf32>, f32) -> tensor<6x4xf32>
  return
}

// -----

// C1 (scale): the factor has the input element type.
func.func @scale_c1_element_type(%s: tensor<4x6xf32>, %a: f16) {
  // expected-error @+1 {{C1: factor element type 'f16' differs from the input element type 'f32'}}
  %r = hymir.scale %s, %a : tensor<4x6xf32>, f16
  return
}

// -----

// C2 (scale): a scalar factor takes no axis.
func.func @scale_c2_scalar_axis(%s: tensor<4x6xf32>, %a: f32) {
  // expected-error @+1 {{C2: a scalar factor takes no axis}}
  %r = hymir.scale %s, %a along rows : tensor<4x6xf32>, f32
  return
}

// -----

// C2 (scale): a tensor factor is 1-D (element-wise is arith.mulf).
func.func @scale_c2_factor_rank(%s: tensor<4x6xf32>, %a: tensor<4x6xf32>) {
  // expected-error @+1 {{C2: a tensor factor must be 1-D and scale a 2-D input along rows or cols (use arith.mulf for element-wise)}}
  %r = hymir.scale %s, %a along rows : tensor<4x6xf32>, tensor<4x6xf32>
  return
}

// -----

// C2 (scale): a 1-D factor needs an axis.
func.func @scale_c2_missing_axis(%s: tensor<4x6xf32>, %a: tensor<4xf32>) {
  // expected-error @+1 {{C2: a 1-D factor needs `along rows` or `along cols`}}
  %r = hymir.scale %s, %a : tensor<4x6xf32>, tensor<4xf32>
  return
}

// -----

// C2 (scale): the factor size matches the axis.
func.func @scale_c2_factor_size(%s: tensor<4x6xf32>, %a: tensor<4xf32>) {
  // expected-error @+1 {{C2: factor size 4 does not match input dim #1 of size 6}}
  %r = hymir.scale %s, %a along cols : tensor<4x6xf32>, tensor<4xf32>
  return
}

// -----

// C1 (outer): both operands 1-D, or both 2-D.
func.func @outer_c1_rank(%k: tensor<2x4xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{C1: operands must both be 1-D, or both 2-D [R, K] and [R, V]}}
  %r = hymir.outer %k, %v : tensor<2x4xf32>, tensor<6xf32> -> tensor<4x6xf32>
  return
}

// -----

// C1 (outer): 2-D operands agree on R.
func.func @outer_c1_rank_r(%k: tensor<2x4xf32>, %v: tensor<3x6xf32>) {
  // expected-error @+1 {{C1: operands disagree on the rank R}}
  %r = hymir.outer %k, %v : tensor<2x4xf32>, tensor<3x6xf32> -> tensor<4x6xf32>
  return
}

// -----

// C2 (outer): the result is [K, V].
func.func @outer_c2_result(%k: tensor<4xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{C2: result must be [4, 6] of the operand element type}}
  %r = hymir.outer %k, %v : tensor<4xf32>, tensor<6xf32> -> tensor<6x4xf32>
  return
}

// -----

// C1 (read): a 2-D state and a 1-D vector.
func.func @read_c1_rank(%s: tensor<4xf32>, %q: tensor<4xf32>) {
  // expected-error @+1 {{C1: state must be 2-D and the vector 1-D}}
  %r = hymir.read %s, %q : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

// C1 (read): the vector has the size of the contracted axis.
func.func @read_c1_size(%s: tensor<4x6xf32>, %q: tensor<4xf32>) {
  // expected-error @+1 {{C1: vector size 4 does not match the contracted column count 6}}
  %r = hymir.read %s, %q along cols : tensor<4x6xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

// C2 (read): the result has the size of the other axis.
func.func @read_c2_result(%s: tensor<4x6xf32>, %q: tensor<4xf32>) {
  // expected-error @+1 {{C2: result must be 1-D of size 6}}
  %r = hymir.read %s, %q : tensor<4x6xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

// C1 (dot): operands have the same shape.
func.func @dot_c1_shape(%a: tensor<4xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{C1: operands must have the same shape}}
  %r = hymir.dot %a, %b : tensor<4xf32>, tensor<6xf32> -> f32
  return
}

// -----

// C2 (dot): the result is the operands' element type.
func.func @dot_c2_result(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{C2: result must be the operands' element type}}
  %r = hymir.dot %a, %b : tensor<4xf32>, tensor<4xf32> -> f16
  return
}

// -----

// C1 (sum): the result is the operand's element type.
func.func @sum_c1_result(%a: tensor<4xf32>) {
  // expected-error @+1 {{C1: result must be the operand's element type}}
  %r = hymir.sum %a : tensor<4xf32> -> f64
  return
}

// -----

// C1 (mix): the matrix is [A, L] with L the leading input dim.
func.func @mix_c1_matrix(%m: tensor<3x4xf32>, %s: tensor<5x4x6xf32>) {
  // expected-error @+1 {{C1: matrix must be [A, L] with L = the leading input dim}}
  %r = hymir.mix %m, %s : tensor<3x4xf32>, tensor<5x4x6xf32> -> tensor<3x4x6xf32>
  return
}

// -----

// C2 (mix): the result replaces the leading dim by A.
func.func @mix_c2_result(%m: tensor<3x5xf32>, %s: tensor<5x4x6xf32>) {
  // expected-error @+1 {{C2: result must be the input with its leading dim replaced by the matrix rows}}
  %r = hymir.mix %m, %s : tensor<3x5xf32>, tensor<5x4x6xf32> -> tensor<5x4x6xf32>
  return
}

// -----

// C1 (rotary): the result type equals the input type (AllTypesMatch).
func.func @rotary_c1_result_type(%x: tensor<12xf32>, %a: tensor<3xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %r = "hymir.rotary"(%x, %a) : (tensor<12xf32>, tensor<3xf32>) -> tensor<6xf32>
  return
}

// -----

// C2 (rotary): angles have the rank of the input.
func.func @rotary_c2_rank(%x: tensor<2x12xf32>, %a: tensor<3xf32>) {
  // expected-error @+1 {{C2: angles must have the rank of the input}}
  %r = hymir.rotary %x, %a : tensor<2x12xf32>, tensor<3xf32>
  return
}

// -----

// C2 (rotary): angles and input agree on the leading dims.
func.func @rotary_c2_leading_dims(%x: tensor<2x12xf32>, %a: tensor<5x3xf32>) {
  // expected-error @+1 {{C2: angles and input disagree on dim #0}}
  %r = hymir.rotary %x, %a : tensor<2x12xf32>, tensor<5x3xf32>
  return
}

// -----

// C2 (rotary): 2R ≤ N.
func.func @rotary_c2_too_many_angles(%x: tensor<12xf32>, %a: tensor<7xf32>) {
  // expected-error @+1 {{C2: 7 angles rotate 7 pairs of dims, more than the 12 available dims hold}}
  %r = hymir.rotary %x, %a : tensor<12xf32>, tensor<7xf32>
  return
}

//===----------------------------------------------------------------------===//
// hymir.scan: C9, the state updates are affine in the state. The error names
// the op where the non-linearity enters; a note points at the scan.
//===----------------------------------------------------------------------===//

// -----

// C9: exp of a read of the state.
func.func @scan_c9_exp_of_read(%k: tensor<?x?x4xf32>, %s0: tensor<?x4x6xf32>) {
  // expected-note @+1 {{in this hymir.scan; use hymir.recurrence for a non-linear step}}
  %s = hymir.scan ins(%k : tensor<?x?x4xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'math.exp' of a state-dependent value is not affine}}
    %e = math.exp %p : tensor<6xf32>
    %u = hymir.outer %kt, %e : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// C9: S ⊙ S.
func.func @scan_c9_state_times_state(%x: tensor<?x?x4x6xf32>, %s0: tensor<?x4x6xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %s = hymir.scan ins(%x : tensor<?x?x4x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%xt: tensor<4x6xf32>, %st: tensor<4x6xf32>):
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'arith.mulf' multiplies two state-dependent values}}
    %sq = arith.mulf %st, %st : tensor<4x6xf32>
    %sn = arith.addf %sq, %xt : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// C9: the outer product of two reads of the state.
func.func @scan_c9_outer_of_reads(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %a = hymir.read %st, %vt along cols : tensor<4x6xf32>, tensor<6xf32> -> tensor<4xf32>
    %b = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'hymir.outer' multiplies two state-dependent values}}
    %ab = hymir.outer %a, %b : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.subf %st, %ab : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// C9: a read of the state with a vector derived from the state (S Sᵀ-like).
func.func @scan_c9_read_with_state_vector(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %a = hymir.read %st, %vt along cols : tensor<4x6xf32>, tensor<6xf32> -> tensor<4xf32>
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'hymir.read' multiplies two state-dependent values}}
    %b = hymir.read %st, %a : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %u = hymir.outer %kt, %b : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// C9: division by a state-dependent value (a normalised update).
func.func @scan_c9_divide_by_state(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %n = hymir.sum %st : tensor<4x6xf32> -> f32
    %one = arith.constant 1.0 : f32
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'arith.divf' divides by a state-dependent value}}
    %r = arith.divf %one, %n : f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %u = hymir.scale %kv, %r : tensor<4x6xf32>, f32
    %sn = arith.addf %st, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// C9: a select on a condition computed from the state (a clamped update).
func.func @scan_c9_select_on_state(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %n = hymir.sum %p : tensor<6xf32> -> f32
    %z = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %n, %z : f32
    %u = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %u : tensor<4x6xf32>
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'arith.select' selects on a state-dependent condition}}
    %r = arith.select %c, %sn, %st : tensor<4x6xf32>
    hymir.yield %r : tensor<4x6xf32>
  }
  return
}

// -----

// C9: tanh of the state (an RNN cell belongs in hymir.recurrence).
func.func @scan_c9_tanh_of_state(%x: tensor<?x?x8xf32>, %h0: tensor<?x8xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %o, %h = hymir.scan ins(%x : tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>) -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %ht: tensor<8xf32>):
    %a = arith.addf %xt, %ht : tensor<8xf32>
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'math.tanh' of a state-dependent value is not affine}}
    %n = math.tanh %a : tensor<8xf32>
    hymir.yield %n, %n : tensor<8xf32>, tensor<8xf32>
  }
  return
}

// -----

// C9: a decay factor computed from the state, S ← f(S)·S.
func.func @scan_c9_state_dependent_decay(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %f = hymir.dot %p, %vt : tensor<6xf32>, tensor<6xf32> -> f32
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'hymir.scale' multiplies two state-dependent values}}
    %sd = hymir.scale %st, %f : tensor<4x6xf32>, f32
    %u = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// C9: a cycle a ← a ⊙ b, b ← a + x is affine in each alone, jointly bilinear.
func.func @scan_c9_jointly_nonlinear_cycle(%x: tensor<?x?x4xf32>, %a0: tensor<?x4xf32>, %b0: tensor<?x4xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %a, %b = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%a0, %b0 : tensor<?x4xf32>, tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %at: tensor<4xf32>, %bt: tensor<4xf32>):
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'arith.mulf' multiplies two state-dependent values}}
    %an = arith.mulf %at, %bt : tensor<4xf32>
    %bn = arith.addf %at, %xt : tensor<4xf32>
    hymir.yield %an, %bn : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

// C9: max(s·s, a) is no max-plus form; the error names the square.
func.func @scan_c9_max_of_square(%i: tensor<?x?xf32>, %m0: tensor<?xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %m = hymir.scan ins(%i : tensor<?x?xf32>) inits(%m0 : tensor<?xf32>) -> () {
  ^bb0(%it: f32, %mt: f32):
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'arith.mulf' multiplies two state-dependent values}}
    %sq = arith.mulf %mt, %mt : f32
    %mn = arith.maximumf %sq, %it : f32
    hymir.yield %mn : f32
  }
  return
}

// -----

// C9: max(2·s, a) is affine inside but not the max-plus form max(s + a, b).
func.func @scan_c9_max_of_scaled_state(%i: tensor<?x?xf32>, %m0: tensor<?xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %m = hymir.scan ins(%i : tensor<?x?xf32>) inits(%m0 : tensor<?xf32>) -> () {
  ^bb0(%it: f32, %mt: f32):
    %two = arith.constant 2.0 : f32
    %m2 = arith.mulf %mt, %two : f32
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'arith.maximumf' of a state-dependent value is not affine}}
    %mn = arith.maximumf %m2, %it : f32
    hymir.yield %mn : f32
  }
  return
}

// -----

// C9: a floor-mod by an input (not a constant) is no modular sum.
func.func @scan_c9_mod_by_input(%th: tensor<?x?x3xf32>, %c: tensor<?x?x3xf32>, %p0: tensor<?x3xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %p = hymir.scan ins(%th, %c : tensor<?x?x3xf32>, tensor<?x?x3xf32>) inits(%p0 : tensor<?x3xf32>) -> () {
  ^bb0(%tht: tensor<3xf32>, %ct: tensor<3xf32>, %pt: tensor<3xf32>):
    %x = arith.addf %pt, %tht : tensor<3xf32>
    %q = arith.divf %x, %ct : tensor<3xf32>
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'math.floor' of a state-dependent value is not affine}}
    %f = math.floor %q : tensor<3xf32>
    %cf = arith.mulf %ct, %f : tensor<3xf32>
    %pn = arith.subf %x, %cf : tensor<3xf32>
    hymir.yield %pn : tensor<3xf32>
  }
  return
}

// -----

// C9: max-plus is a prefix only alone in its group; here m and n form a cycle.
func.func @scan_c9_max_plus_in_cycle(%a: tensor<?x?xf32>, %m0: tensor<?xf32>, %n0: tensor<?xf32>) {
  // expected-note @+1 {{in this hymir.scan}}
  %m, %n = hymir.scan ins(%a : tensor<?x?xf32>) inits(%m0, %n0 : tensor<?xf32>, tensor<?xf32>) -> () {
  ^bb0(%at: f32, %mt: f32, %nt: f32):
    %x = arith.addf %mt, %at : f32
    // expected-error @+1 {{C9: the update of state #0 is not affine in the state: 'arith.maximumf' of a state-dependent value is not affine}}
    %mn = arith.maximumf %x, %nt : f32
    %nn = arith.addf %mt, %at : f32
    hymir.yield %mn, %nn : f32, f32
  }
  return
}
