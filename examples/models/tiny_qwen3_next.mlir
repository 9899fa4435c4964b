// tiny_qwen3_next — a tiny Qwen3-Next-style hybrid language model (docs/models.md).
//
// Config (the fields of a Qwen3-Next config.json, shrunk):
//   vocab_size 64, hidden_size 32, num_hidden_layers 4, layer_types = 3 × linear_attention
//   then 1 × full_attention, intermediate_size 64 (dense SwiGLU MLP in every layer: no MoE),
//   rms_norm_eps 1e-6, tie_word_embeddings false.
//   Gated DeltaNet (linear_attention): linear_num_key_heads 2, linear_num_value_heads 4,
//     linear_key_head_dim 8, linear_value_head_dim 8, linear_conv_kernel_dim 4.
//   Gated attention (full_attention): num_attention_heads 4, num_key_value_heads 2,
//     head_dim 16, partial_rotary_factor 0.5 (rotary dim 8), rope_theta 10000.
//
// Block (every layer):  h += mixer(norm_in(h));  h += mlp(norm_post(h))
//   norm_in, norm_post, the final norm and the attention's q_norm / k_norm are Qwen3-Next's
//   zero-centred RMSNorm: y = x / sqrt(mean(x²) + 1e-6) · (1 + w)   (@rms_norm_zc).
//   The GDN output norm is the plain gated RMSNorm: y = rmsnorm(o) · w · silu(z).
//
// Gated DeltaNet mixer (HF Qwen3NextGatedDeltaNet):
//   in_proj_qkvz (x) → per key-head group [q 8 | k 8 | v 2×8 | z 2×8];  in_proj_ba (x) → per
//   group [b 2 | a 2];  qkv = concat(q, k, v) (64 channels) → one causal conv1d (kernel 4, no
//   bias) + SiLU with a rolling state;  q̂, k̂ = l2norm(q, k);  g = −exp(A_log)·softplus(a +
//   dt_bias);  β = sigmoid(b);  S ← e^g (I − β k̂k̂ᵀ) S + β k̂ vᵀ,  o = Sᵀ(q̂/√8)  (hymir.scan, 4
//   value heads reading 2 q/k heads: GVA);  y = out_proj(gated_rmsnorm(o, z)).
// Gated attention mixer (HF Qwen3NextAttention):
//   q_proj (x) → per head [q 16 | gate 16];  q = rope(q_norm(q)), k = rope(k_norm(k_proj x)),
//   v = v_proj x;  o = causal GQA attention (scale 1/4);  y = o_proj(o · sigmoid(gate)).
//   RoPE: rotate-half on the first 8 of 16 dims, φ_i = pos · 10000^(−2i/8) = pos · 10^(−i).
//
// Entry points (batch B, prompt length T; states in this order, docs/models.md):
//   @prefill(tokens [B, T] i32)
//       -> (logits [B, T, 64], conv0, S0, conv1, S1, conv2, S2, k3, v3, len3)
//   @decode(tokens [B] i32, conv0, S0, conv1, S1, conv2, S2, k3, v3, len3)
//       -> (logits [B, 64], conv0, S0, conv1, S1, conv2, S2, k3, v3, len3)
//   convN [B, 3, 64]     layer N's conv state: the last 3 conv inputs (concat q, k, v)
//   SN    [B, 4, 8, 8]   layer N's GDN state, key-major (o = Sᵀq)
//   k3/v3 [B, C, 2, 16]  layer 3's KV cache (model format 2, docs/models.md): keys after
//                        k_norm and RoPE, values; C = capacity, rows 0 .. len3[b]−1 valid.
//                        @prefill returns C = T; the runner grows C (axis 1, zero rows) to
//                        what it needs; @decode writes the new token at row len3[b] in place.
//   len3  [B] i32        layer 3's cache lengths (tokens so far per sequence): @prefill
//                        returns T, @decode returns len3 + 1; the token's position is len3[b].
//   Cache states carry {hymir.kv_cache} (grown along axis 1), lengths {hymir.kv_lengths}.

// Projections: y[b, t, o] = Σ_i x[b, t, i] · W[o, i]  (W in the checkpoint's [out, in] layout).
#px = affine_map<(b, t, o, i) -> (b, t, i)>
#pw = affine_map<(b, t, o, i) -> (o, i)>
#py = affine_map<(b, t, o, i) -> (b, t, o)>
// Element-wise maps.
#id3 = affine_map<(b, t, d) -> (b, t, d)>
#id4 = affine_map<(b, t, h, d) -> (b, t, h, d)>
#tok = affine_map<(b, t, d) -> (b, t)>
#frq = affine_map<(b, t, h, i) -> (i)>
#bpos = affine_map<(b, t, h, i) -> (b)>

// Model format 2 (docs/models.md): a preallocated KV cache with lengths.
module attributes {hymir.model_format = 2 : i64} {

//===----------------------------------------------------------------------===//
// Weights: external values bound by name (the checkpoint's tensor names).
//===----------------------------------------------------------------------===//

ml_program.global private @"model.embed_tokens.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.norm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"lm_head.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>

// Layers 0, 1, 2: Gated DeltaNet.
ml_program.global private @"model.layers.0.input_layernorm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"model.layers.0.linear_attn.in_proj_qkvz.weight"(#ml_program.extern : tensor<96x32xf32>) : tensor<96x32xf32>
ml_program.global private @"model.layers.0.linear_attn.in_proj_ba.weight"(#ml_program.extern : tensor<8x32xf32>) : tensor<8x32xf32>
ml_program.global private @"model.layers.0.linear_attn.conv1d.weight"(#ml_program.extern : tensor<64x1x4xf32>) : tensor<64x1x4xf32>
ml_program.global private @"model.layers.0.linear_attn.dt_bias"(#ml_program.extern : tensor<4xf32>) : tensor<4xf32>
ml_program.global private @"model.layers.0.linear_attn.A_log"(#ml_program.extern : tensor<4xf32>) : tensor<4xf32>
ml_program.global private @"model.layers.0.linear_attn.norm.weight"(#ml_program.extern : tensor<8xf32>) : tensor<8xf32>
ml_program.global private @"model.layers.0.linear_attn.out_proj.weight"(#ml_program.extern : tensor<32x32xf32>) : tensor<32x32xf32>
ml_program.global private @"model.layers.0.post_attention_layernorm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"model.layers.0.mlp.gate_proj.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.layers.0.mlp.up_proj.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.layers.0.mlp.down_proj.weight"(#ml_program.extern : tensor<32x64xf32>) : tensor<32x64xf32>

ml_program.global private @"model.layers.1.input_layernorm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"model.layers.1.linear_attn.in_proj_qkvz.weight"(#ml_program.extern : tensor<96x32xf32>) : tensor<96x32xf32>
ml_program.global private @"model.layers.1.linear_attn.in_proj_ba.weight"(#ml_program.extern : tensor<8x32xf32>) : tensor<8x32xf32>
ml_program.global private @"model.layers.1.linear_attn.conv1d.weight"(#ml_program.extern : tensor<64x1x4xf32>) : tensor<64x1x4xf32>
ml_program.global private @"model.layers.1.linear_attn.dt_bias"(#ml_program.extern : tensor<4xf32>) : tensor<4xf32>
ml_program.global private @"model.layers.1.linear_attn.A_log"(#ml_program.extern : tensor<4xf32>) : tensor<4xf32>
ml_program.global private @"model.layers.1.linear_attn.norm.weight"(#ml_program.extern : tensor<8xf32>) : tensor<8xf32>
ml_program.global private @"model.layers.1.linear_attn.out_proj.weight"(#ml_program.extern : tensor<32x32xf32>) : tensor<32x32xf32>
ml_program.global private @"model.layers.1.post_attention_layernorm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"model.layers.1.mlp.gate_proj.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.layers.1.mlp.up_proj.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.layers.1.mlp.down_proj.weight"(#ml_program.extern : tensor<32x64xf32>) : tensor<32x64xf32>

ml_program.global private @"model.layers.2.input_layernorm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"model.layers.2.linear_attn.in_proj_qkvz.weight"(#ml_program.extern : tensor<96x32xf32>) : tensor<96x32xf32>
ml_program.global private @"model.layers.2.linear_attn.in_proj_ba.weight"(#ml_program.extern : tensor<8x32xf32>) : tensor<8x32xf32>
ml_program.global private @"model.layers.2.linear_attn.conv1d.weight"(#ml_program.extern : tensor<64x1x4xf32>) : tensor<64x1x4xf32>
ml_program.global private @"model.layers.2.linear_attn.dt_bias"(#ml_program.extern : tensor<4xf32>) : tensor<4xf32>
ml_program.global private @"model.layers.2.linear_attn.A_log"(#ml_program.extern : tensor<4xf32>) : tensor<4xf32>
ml_program.global private @"model.layers.2.linear_attn.norm.weight"(#ml_program.extern : tensor<8xf32>) : tensor<8xf32>
ml_program.global private @"model.layers.2.linear_attn.out_proj.weight"(#ml_program.extern : tensor<32x32xf32>) : tensor<32x32xf32>
ml_program.global private @"model.layers.2.post_attention_layernorm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"model.layers.2.mlp.gate_proj.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.layers.2.mlp.up_proj.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.layers.2.mlp.down_proj.weight"(#ml_program.extern : tensor<32x64xf32>) : tensor<32x64xf32>

// Layer 3: gated attention.
ml_program.global private @"model.layers.3.input_layernorm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"model.layers.3.self_attn.q_proj.weight"(#ml_program.extern : tensor<128x32xf32>) : tensor<128x32xf32>
ml_program.global private @"model.layers.3.self_attn.k_proj.weight"(#ml_program.extern : tensor<32x32xf32>) : tensor<32x32xf32>
ml_program.global private @"model.layers.3.self_attn.v_proj.weight"(#ml_program.extern : tensor<32x32xf32>) : tensor<32x32xf32>
ml_program.global private @"model.layers.3.self_attn.o_proj.weight"(#ml_program.extern : tensor<32x64xf32>) : tensor<32x64xf32>
ml_program.global private @"model.layers.3.self_attn.q_norm.weight"(#ml_program.extern : tensor<16xf32>) : tensor<16xf32>
ml_program.global private @"model.layers.3.self_attn.k_norm.weight"(#ml_program.extern : tensor<16xf32>) : tensor<16xf32>
ml_program.global private @"model.layers.3.post_attention_layernorm.weight"(#ml_program.extern : tensor<32xf32>) : tensor<32xf32>
ml_program.global private @"model.layers.3.mlp.gate_proj.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.layers.3.mlp.up_proj.weight"(#ml_program.extern : tensor<64x32xf32>) : tensor<64x32xf32>
ml_program.global private @"model.layers.3.mlp.down_proj.weight"(#ml_program.extern : tensor<32x64xf32>) : tensor<32x64xf32>

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

func.func @prefill(%tokens: tensor<?x?xi32>)
    -> (tensor<?x?x64xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>, tensor<?x3x64xf32>,
        tensor<?x4x8x8xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>,
        tensor<?x?x2x16xf32> {hymir.kv_cache}, tensor<?x?x2x16xf32> {hymir.kv_cache},
        tensor<?xi32> {hymir.kv_lengths}) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %tokens, %c0 : tensor<?x?xi32>
  // A prefill starts a sequence: zero conv and scan states.
  %conv_e = tensor.empty(%B) : tensor<?x3x64xf32>
  %conv_init = linalg.fill ins(%zero : f32) outs(%conv_e : tensor<?x3x64xf32>) -> tensor<?x3x64xf32>
  %S_e = tensor.empty(%B) : tensor<?x4x8x8xf32>
  %S_init = linalg.fill ins(%zero : f32) outs(%S_e : tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>

  %h0 = func.call @embed(%tokens) : (tensor<?x?xi32>) -> tensor<?x?x32xf32>
  %h1, %conv0, %S0 = func.call @layer_0(%h0, %conv_init, %S_init)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
      -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  %h2, %conv1, %S1 = func.call @layer_1(%h1, %conv_init, %S_init)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
      -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  %h3, %conv2, %S2 = func.call @layer_2(%h2, %conv_init, %S_init)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
      -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  %h4, %k3, %v3, %len3 = func.call @layer_3_prefill(%h3)
      : (tensor<?x?x32xf32>)
      -> (tensor<?x?x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>)
  %logits = func.call @lm_head(%h4) : (tensor<?x?x32xf32>) -> tensor<?x?x64xf32>
  return %logits, %conv0, %S0, %conv1, %S1, %conv2, %S2, %k3, %v3, %len3
      : tensor<?x?x64xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>, tensor<?x3x64xf32>,
        tensor<?x4x8x8xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>,
        tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>
}

func.func @decode(%tokens: tensor<?xi32>,
                  %conv0: tensor<?x3x64xf32>, %S0: tensor<?x4x8x8xf32>,
                  %conv1: tensor<?x3x64xf32>, %S1: tensor<?x4x8x8xf32>,
                  %conv2: tensor<?x3x64xf32>, %S2: tensor<?x4x8x8xf32>,
                  %k3: tensor<?x?x2x16xf32> {hymir.kv_cache},
                  %v3: tensor<?x?x2x16xf32> {hymir.kv_cache},
                  %len3: tensor<?xi32> {hymir.kv_lengths})
    -> (tensor<?x64xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>, tensor<?x3x64xf32>,
        tensor<?x4x8x8xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>,
        tensor<?x?x2x16xf32> {hymir.kv_cache}, tensor<?x?x2x16xf32> {hymir.kv_cache},
        tensor<?xi32> {hymir.kv_lengths}) {
  %c0 = arith.constant 0 : index
  %B = tensor.dim %tokens, %c0 : tensor<?xi32>
  // One token per sequence is a sequence of length 1: the recurrent layers run their
  // prefill code with T = 1 (the conv and the scan carry their states).
  %tok = tensor.expand_shape %tokens [[0, 1]] output_shape [%B, 1] : tensor<?xi32> into tensor<?x1xi32>
  %tok_d = tensor.cast %tok : tensor<?x1xi32> to tensor<?x?xi32>
  %h0 = func.call @embed(%tok_d) : (tensor<?x?xi32>) -> tensor<?x?x32xf32>
  %h1, %conv0n, %S0n = func.call @layer_0(%h0, %conv0, %S0)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
      -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  %h2, %conv1n, %S1n = func.call @layer_1(%h1, %conv1, %S1)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
      -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  %h3, %conv2n, %S2n = func.call @layer_2(%h2, %conv2, %S2)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
      -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  %h4, %k3n, %v3n, %len3n = func.call @layer_3_decode(%h3, %k3, %v3, %len3)
      : (tensor<?x?x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>)
      -> (tensor<?x?x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>)
  %logits_t = func.call @lm_head(%h4) : (tensor<?x?x32xf32>) -> tensor<?x?x64xf32>
  %logits_1 = tensor.cast %logits_t : tensor<?x?x64xf32> to tensor<?x1x64xf32>
  %logits = tensor.collapse_shape %logits_1 [[0, 1], [2]] : tensor<?x1x64xf32> into tensor<?x64xf32>
  return %logits, %conv0n, %S0n, %conv1n, %S1n, %conv2n, %S2n, %k3n, %v3n, %len3n
      : tensor<?x64xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>, tensor<?x3x64xf32>,
        tensor<?x4x8x8xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>,
        tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>
}

//===----------------------------------------------------------------------===//
// Layers: each loads its weights and runs the shared blocks.
//===----------------------------------------------------------------------===//

func.func private @layer_0(%h: tensor<?x?x32xf32>, %conv: tensor<?x3x64xf32>, %S: tensor<?x4x8x8xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>) {
  %w_in = ml_program.global_load_const @"model.layers.0.input_layernorm.weight" : tensor<32xf32>
  %w_qkvz = ml_program.global_load_const @"model.layers.0.linear_attn.in_proj_qkvz.weight" : tensor<96x32xf32>
  %w_ba = ml_program.global_load_const @"model.layers.0.linear_attn.in_proj_ba.weight" : tensor<8x32xf32>
  %w_conv = ml_program.global_load_const @"model.layers.0.linear_attn.conv1d.weight" : tensor<64x1x4xf32>
  %dt_bias = ml_program.global_load_const @"model.layers.0.linear_attn.dt_bias" : tensor<4xf32>
  %A_log = ml_program.global_load_const @"model.layers.0.linear_attn.A_log" : tensor<4xf32>
  %w_norm = ml_program.global_load_const @"model.layers.0.linear_attn.norm.weight" : tensor<8xf32>
  %w_out = ml_program.global_load_const @"model.layers.0.linear_attn.out_proj.weight" : tensor<32x32xf32>
  %w_post = ml_program.global_load_const @"model.layers.0.post_attention_layernorm.weight" : tensor<32xf32>
  %w_gate = ml_program.global_load_const @"model.layers.0.mlp.gate_proj.weight" : tensor<64x32xf32>
  %w_up = ml_program.global_load_const @"model.layers.0.mlp.up_proj.weight" : tensor<64x32xf32>
  %w_down = ml_program.global_load_const @"model.layers.0.mlp.down_proj.weight" : tensor<32x64xf32>
  %r:3 = func.call @gdn_block(%h, %conv, %S, %w_in, %w_qkvz, %w_ba, %w_conv, %dt_bias, %A_log,
                              %w_norm, %w_out, %w_post, %w_gate, %w_up, %w_down)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>, tensor<32xf32>,
         tensor<96x32xf32>, tensor<8x32xf32>, tensor<64x1x4xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<8xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
         tensor<32x64xf32>) -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  return %r#0, %r#1, %r#2 : tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>
}

func.func private @layer_1(%h: tensor<?x?x32xf32>, %conv: tensor<?x3x64xf32>, %S: tensor<?x4x8x8xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>) {
  %w_in = ml_program.global_load_const @"model.layers.1.input_layernorm.weight" : tensor<32xf32>
  %w_qkvz = ml_program.global_load_const @"model.layers.1.linear_attn.in_proj_qkvz.weight" : tensor<96x32xf32>
  %w_ba = ml_program.global_load_const @"model.layers.1.linear_attn.in_proj_ba.weight" : tensor<8x32xf32>
  %w_conv = ml_program.global_load_const @"model.layers.1.linear_attn.conv1d.weight" : tensor<64x1x4xf32>
  %dt_bias = ml_program.global_load_const @"model.layers.1.linear_attn.dt_bias" : tensor<4xf32>
  %A_log = ml_program.global_load_const @"model.layers.1.linear_attn.A_log" : tensor<4xf32>
  %w_norm = ml_program.global_load_const @"model.layers.1.linear_attn.norm.weight" : tensor<8xf32>
  %w_out = ml_program.global_load_const @"model.layers.1.linear_attn.out_proj.weight" : tensor<32x32xf32>
  %w_post = ml_program.global_load_const @"model.layers.1.post_attention_layernorm.weight" : tensor<32xf32>
  %w_gate = ml_program.global_load_const @"model.layers.1.mlp.gate_proj.weight" : tensor<64x32xf32>
  %w_up = ml_program.global_load_const @"model.layers.1.mlp.up_proj.weight" : tensor<64x32xf32>
  %w_down = ml_program.global_load_const @"model.layers.1.mlp.down_proj.weight" : tensor<32x64xf32>
  %r:3 = func.call @gdn_block(%h, %conv, %S, %w_in, %w_qkvz, %w_ba, %w_conv, %dt_bias, %A_log,
                              %w_norm, %w_out, %w_post, %w_gate, %w_up, %w_down)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>, tensor<32xf32>,
         tensor<96x32xf32>, tensor<8x32xf32>, tensor<64x1x4xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<8xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
         tensor<32x64xf32>) -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  return %r#0, %r#1, %r#2 : tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>
}

func.func private @layer_2(%h: tensor<?x?x32xf32>, %conv: tensor<?x3x64xf32>, %S: tensor<?x4x8x8xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>) {
  %w_in = ml_program.global_load_const @"model.layers.2.input_layernorm.weight" : tensor<32xf32>
  %w_qkvz = ml_program.global_load_const @"model.layers.2.linear_attn.in_proj_qkvz.weight" : tensor<96x32xf32>
  %w_ba = ml_program.global_load_const @"model.layers.2.linear_attn.in_proj_ba.weight" : tensor<8x32xf32>
  %w_conv = ml_program.global_load_const @"model.layers.2.linear_attn.conv1d.weight" : tensor<64x1x4xf32>
  %dt_bias = ml_program.global_load_const @"model.layers.2.linear_attn.dt_bias" : tensor<4xf32>
  %A_log = ml_program.global_load_const @"model.layers.2.linear_attn.A_log" : tensor<4xf32>
  %w_norm = ml_program.global_load_const @"model.layers.2.linear_attn.norm.weight" : tensor<8xf32>
  %w_out = ml_program.global_load_const @"model.layers.2.linear_attn.out_proj.weight" : tensor<32x32xf32>
  %w_post = ml_program.global_load_const @"model.layers.2.post_attention_layernorm.weight" : tensor<32xf32>
  %w_gate = ml_program.global_load_const @"model.layers.2.mlp.gate_proj.weight" : tensor<64x32xf32>
  %w_up = ml_program.global_load_const @"model.layers.2.mlp.up_proj.weight" : tensor<64x32xf32>
  %w_down = ml_program.global_load_const @"model.layers.2.mlp.down_proj.weight" : tensor<32x64xf32>
  %r:3 = func.call @gdn_block(%h, %conv, %S, %w_in, %w_qkvz, %w_ba, %w_conv, %dt_bias, %A_log,
                              %w_norm, %w_out, %w_post, %w_gate, %w_up, %w_down)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>, tensor<32xf32>,
         tensor<96x32xf32>, tensor<8x32xf32>, tensor<64x1x4xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<8xf32>, tensor<32x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
         tensor<32x64xf32>) -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  return %r#0, %r#1, %r#2 : tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>
}

// Layer 3 over a whole prompt (positions 0 .. T−1): returns the prompt's keys and values
// (a cache of capacity T, full) and the lengths T.
func.func private @layer_3_prefill(%h: tensor<?x?x32xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero_i = arith.constant 0 : i32
  %B = tensor.dim %h, %c0 : tensor<?x?x32xf32>
  %T = tensor.dim %h, %c1 : tensor<?x?x32xf32>
  %T_i = arith.index_cast %T : index to i32
  %len_e = tensor.empty(%B) : tensor<?xi32>
  %pos = linalg.fill ins(%zero_i : i32) outs(%len_e : tensor<?xi32>) -> tensor<?xi32>
  %lengths = linalg.fill ins(%T_i : i32) outs(%len_e : tensor<?xi32>) -> tensor<?xi32>
  %w_in = ml_program.global_load_const @"model.layers.3.input_layernorm.weight" : tensor<32xf32>
  %w_q = ml_program.global_load_const @"model.layers.3.self_attn.q_proj.weight" : tensor<128x32xf32>
  %w_k = ml_program.global_load_const @"model.layers.3.self_attn.k_proj.weight" : tensor<32x32xf32>
  %w_v = ml_program.global_load_const @"model.layers.3.self_attn.v_proj.weight" : tensor<32x32xf32>
  %w_o = ml_program.global_load_const @"model.layers.3.self_attn.o_proj.weight" : tensor<32x64xf32>
  %w_qn = ml_program.global_load_const @"model.layers.3.self_attn.q_norm.weight" : tensor<16xf32>
  %w_kn = ml_program.global_load_const @"model.layers.3.self_attn.k_norm.weight" : tensor<16xf32>
  %w_post = ml_program.global_load_const @"model.layers.3.post_attention_layernorm.weight" : tensor<32xf32>
  %w_gate = ml_program.global_load_const @"model.layers.3.mlp.gate_proj.weight" : tensor<64x32xf32>
  %w_up = ml_program.global_load_const @"model.layers.3.mlp.up_proj.weight" : tensor<64x32xf32>
  %w_down = ml_program.global_load_const @"model.layers.3.mlp.down_proj.weight" : tensor<32x64xf32>
  %x = func.call @rms_norm_zc(%h, %w_in) : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %q, %k, %v, %gate = func.call @attention_qkv(%x, %pos, %w_q, %w_k, %w_v, %w_qn, %w_kn)
      : (tensor<?x?x32xf32>, tensor<?xi32>, tensor<128x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>,
         tensor<16xf32>, tensor<16xf32>)
      -> (tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x4x16xf32>)
  %o = hymir.attention %q, %k, %v {causal, scale = 0.25 : f32}
      : tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32> -> tensor<?x?x4x16xf32>
  %y = func.call @attention_out(%o, %gate, %w_o)
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %h1 = arith.addf %h, %y : tensor<?x?x32xf32>
  %h2 = func.call @mlp_block(%h1, %w_post, %w_gate, %w_up, %w_down)
      : (tensor<?x?x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
         tensor<32x64xf32>) -> tensor<?x?x32xf32>
  return %h2, %k, %v, %lengths
      : tensor<?x?x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>
}

// Layer 3 for one new token per sequence (h is [B, 1, 32]) against a KV cache of capacity C
// holding lengths[b] tokens of sequence b: the token sits at position lengths[b], its key and
// value are written at row lengths[b] (in place; lengths[b] >= C is out of bounds, an error
// of the reference), and hymir.attention_decode reads the lengths[b] + 1 valid rows.
func.func private @layer_3_decode(%h: tensor<?x?x32xf32>, %k_cache: tensor<?x?x2x16xf32>,
                                  %v_cache: tensor<?x?x2x16xf32>, %lengths: tensor<?xi32>)
    -> (tensor<?x?x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one_i = arith.constant 1 : i32
  %w_in = ml_program.global_load_const @"model.layers.3.input_layernorm.weight" : tensor<32xf32>
  %w_q = ml_program.global_load_const @"model.layers.3.self_attn.q_proj.weight" : tensor<128x32xf32>
  %w_k = ml_program.global_load_const @"model.layers.3.self_attn.k_proj.weight" : tensor<32x32xf32>
  %w_v = ml_program.global_load_const @"model.layers.3.self_attn.v_proj.weight" : tensor<32x32xf32>
  %w_o = ml_program.global_load_const @"model.layers.3.self_attn.o_proj.weight" : tensor<32x64xf32>
  %w_qn = ml_program.global_load_const @"model.layers.3.self_attn.q_norm.weight" : tensor<16xf32>
  %w_kn = ml_program.global_load_const @"model.layers.3.self_attn.k_norm.weight" : tensor<16xf32>
  %w_post = ml_program.global_load_const @"model.layers.3.post_attention_layernorm.weight" : tensor<32xf32>
  %w_gate = ml_program.global_load_const @"model.layers.3.mlp.gate_proj.weight" : tensor<64x32xf32>
  %w_up = ml_program.global_load_const @"model.layers.3.mlp.up_proj.weight" : tensor<64x32xf32>
  %w_down = ml_program.global_load_const @"model.layers.3.mlp.down_proj.weight" : tensor<32x64xf32>
  %x = func.call @rms_norm_zc(%h, %w_in) : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %q, %k, %v, %gate = func.call @attention_qkv(%x, %lengths, %w_q, %w_k, %w_v, %w_qn, %w_kn)
      : (tensor<?x?x32xf32>, tensor<?xi32>, tensor<128x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>,
         tensor<16xf32>, tensor<16xf32>)
      -> (tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x4x16xf32>)
  // Row lengths[b] of sequence b's cache takes the token's key and value.
  %B = tensor.dim %h, %c0 : tensor<?x?x32xf32>
  %k_all, %v_all = scf.for %b = %c0 to %B step %c1
      iter_args(%kc = %k_cache, %vc = %v_cache) -> (tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>) {
    %len_b = tensor.extract %lengths[%b] : tensor<?xi32>
    %row = arith.index_cast %len_b : i32 to index
    %k_b = tensor.extract_slice %k[%b, 0, 0, 0] [1, 1, 2, 16] [1, 1, 1, 1]
        : tensor<?x?x2x16xf32> to tensor<1x1x2x16xf32>
    %v_b = tensor.extract_slice %v[%b, 0, 0, 0] [1, 1, 2, 16] [1, 1, 1, 1]
        : tensor<?x?x2x16xf32> to tensor<1x1x2x16xf32>
    %kc_n = tensor.insert_slice %k_b into %kc[%b, %row, 0, 0] [1, 1, 2, 16] [1, 1, 1, 1]
        : tensor<1x1x2x16xf32> into tensor<?x?x2x16xf32>
    %vc_n = tensor.insert_slice %v_b into %vc[%b, %row, 0, 0] [1, 1, 2, 16] [1, 1, 1, 1]
        : tensor<1x1x2x16xf32> into tensor<?x?x2x16xf32>
    scf.yield %kc_n, %vc_n : tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>
  }
  %ones_e = tensor.empty(%B) : tensor<?xi32>
  %ones = linalg.fill ins(%one_i : i32) outs(%ones_e : tensor<?xi32>) -> tensor<?xi32>
  %lengths_n = arith.addi %lengths, %ones : tensor<?xi32>
  %q_1 = tensor.cast %q : tensor<?x?x4x16xf32> to tensor<?x1x4x16xf32>
  %q_t = tensor.collapse_shape %q_1 [[0, 1], [2], [3]] : tensor<?x1x4x16xf32> into tensor<?x4x16xf32>
  %o_t = hymir.attention_decode %q_t, %k_all, %v_all lengths(%lengths_n : tensor<?xi32>)
      {scale = 0.25 : f32}
      : tensor<?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32> -> tensor<?x4x16xf32>
  %o_1 = tensor.expand_shape %o_t [[0, 1], [2], [3]] output_shape [%B, 1, 4, 16]
      : tensor<?x4x16xf32> into tensor<?x1x4x16xf32>
  %o = tensor.cast %o_1 : tensor<?x1x4x16xf32> to tensor<?x?x4x16xf32>
  %y = func.call @attention_out(%o, %gate, %w_o)
      : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %h1 = arith.addf %h, %y : tensor<?x?x32xf32>
  %h2 = func.call @mlp_block(%h1, %w_post, %w_gate, %w_up, %w_down)
      : (tensor<?x?x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
         tensor<32x64xf32>) -> tensor<?x?x32xf32>
  return %h2, %k_all, %v_all, %lengths_n
      : tensor<?x?x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?xi32>
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

// Token embedding: a gather of rows of the embedding table.
func.func private @embed(%tokens: tensor<?x?xi32>) -> tensor<?x?x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %tokens, %c0 : tensor<?x?xi32>
  %T = tensor.dim %tokens, %c1 : tensor<?x?xi32>
  %table = ml_program.global_load_const @"model.embed_tokens.weight" : tensor<64x32xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x32xf32>
  %h = linalg.generic {indexing_maps = [#tok, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%tokens : tensor<?x?xi32>) outs(%e : tensor<?x?x32xf32>) {
  ^bb0(%id: i32, %out: f32):
    %row = arith.index_cast %id : i32 to index
    %col = linalg.index 2 : index
    %val = tensor.extract %table[%row, %col] : tensor<64x32xf32>
    linalg.yield %val : f32
  } -> tensor<?x?x32xf32>
  return %h : tensor<?x?x32xf32>
}

// Final norm and LM head.
func.func private @lm_head(%h: tensor<?x?x32xf32>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %h, %c0 : tensor<?x?x32xf32>
  %T = tensor.dim %h, %c1 : tensor<?x?x32xf32>
  %w_norm = ml_program.global_load_const @"model.norm.weight" : tensor<32xf32>
  %w_head = ml_program.global_load_const @"lm_head.weight" : tensor<64x32xf32>
  %x = func.call @rms_norm_zc(%h, %w_norm) : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %logits = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%x, %w_head : tensor<?x?x32xf32>, tensor<64x32xf32>) outs(%z : tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %logits : tensor<?x?x64xf32>
}

// Qwen3-Next's zero-centred RMSNorm: x / sqrt(mean(x²) + eps) · (1 + w).
func.func private @rms_norm_zc(%x: tensor<?x?x32xf32>, %w: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %one = arith.constant dense<1.0> : tensor<32xf32>
  %w1 = arith.addf %w, %one : tensor<32xf32>
  %y = hymir.rms_norm %x, %w1 {eps = 1.0e-06 : f32} : tensor<?x?x32xf32>, tensor<32xf32>
  return %y : tensor<?x?x32xf32>
}

// A Gated DeltaNet decoder layer: h += gdn(norm_in(h)); h += mlp(norm_post(h)).
func.func private @gdn_block(%h: tensor<?x?x32xf32>, %conv: tensor<?x3x64xf32>, %S: tensor<?x4x8x8xf32>,
                             %w_in: tensor<32xf32>, %w_qkvz: tensor<96x32xf32>, %w_ba: tensor<8x32xf32>,
                             %w_conv: tensor<64x1x4xf32>, %dt_bias: tensor<4xf32>, %A_log: tensor<4xf32>,
                             %w_norm: tensor<8xf32>, %w_out: tensor<32x32xf32>, %w_post: tensor<32xf32>,
                             %w_gate: tensor<64x32xf32>, %w_up: tensor<64x32xf32>, %w_down: tensor<32x64xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>) {
  %x = func.call @rms_norm_zc(%h, %w_in) : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %y, %conv_out, %S_out = func.call @gated_delta_net(%x, %conv, %S, %w_qkvz, %w_ba, %w_conv, %dt_bias,
                                                    %A_log, %w_norm, %w_out)
      : (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>, tensor<96x32xf32>,
         tensor<8x32xf32>, tensor<64x1x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<8xf32>,
         tensor<32x32xf32>) -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>)
  %h1 = arith.addf %h, %y : tensor<?x?x32xf32>
  %h2 = func.call @mlp_block(%h1, %w_post, %w_gate, %w_up, %w_down)
      : (tensor<?x?x32xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
         tensor<32x64xf32>) -> tensor<?x?x32xf32>
  return %h2, %conv_out, %S_out : tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>
}

// The Gated DeltaNet mixer (HF Qwen3NextGatedDeltaNet) on a normalised input x [B, T, 32].
func.func private @gated_delta_net(%x: tensor<?x?x32xf32>, %conv: tensor<?x3x64xf32>,
                                   %S0: tensor<?x4x8x8xf32>, %w_qkvz: tensor<96x32xf32>,
                                   %w_ba: tensor<8x32xf32>, %w_conv: tensor<64x1x4xf32>,
                                   %dt_bias: tensor<4xf32>, %A_log: tensor<4xf32>,
                                   %w_norm: tensor<8xf32>, %w_out: tensor<32x32xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %x, %c0 : tensor<?x?x32xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x32xf32>
  // Projections, split per key-head group g ∈ {0, 1}: [q 8 | k 8 | v 16 | z 16], [b 2 | a 2].
  %e96 = tensor.empty(%B, %T) : tensor<?x?x96xf32>
  %z96 = linalg.fill ins(%zero : f32) outs(%e96 : tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %qkvz = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%x, %w_qkvz : tensor<?x?x32xf32>, tensor<96x32xf32>) outs(%z96 : tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %qkvz_g = tensor.expand_shape %qkvz [[0], [1], [2, 3]] output_shape [%B, %T, 2, 48]
      : tensor<?x?x96xf32> into tensor<?x?x2x48xf32>
  %q_g = tensor.extract_slice %qkvz_g[0, 0, 0, 0] [%B, %T, 2, 8] [1, 1, 1, 1]
      : tensor<?x?x2x48xf32> to tensor<?x?x2x8xf32>
  %k_g = tensor.extract_slice %qkvz_g[0, 0, 0, 8] [%B, %T, 2, 8] [1, 1, 1, 1]
      : tensor<?x?x2x48xf32> to tensor<?x?x2x8xf32>
  %v_g = tensor.extract_slice %qkvz_g[0, 0, 0, 16] [%B, %T, 2, 16] [1, 1, 1, 1]
      : tensor<?x?x2x48xf32> to tensor<?x?x2x16xf32>
  %z_g = tensor.extract_slice %qkvz_g[0, 0, 0, 32] [%B, %T, 2, 16] [1, 1, 1, 1]
      : tensor<?x?x2x48xf32> to tensor<?x?x2x16xf32>
  %e8 = tensor.empty(%B, %T) : tensor<?x?x8xf32>
  %z8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %ba = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%x, %w_ba : tensor<?x?x32xf32>, tensor<8x32xf32>) outs(%z8 : tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %ba_g = tensor.expand_shape %ba [[0], [1], [2, 3]] output_shape [%B, %T, 2, 4]
      : tensor<?x?x8xf32> into tensor<?x?x2x4xf32>
  %b_g = tensor.extract_slice %ba_g[0, 0, 0, 0] [%B, %T, 2, 2] [1, 1, 1, 1]
      : tensor<?x?x2x4xf32> to tensor<?x?x2x2xf32>
  %a_g = tensor.extract_slice %ba_g[0, 0, 0, 2] [%B, %T, 2, 2] [1, 1, 1, 1]
      : tensor<?x?x2x4xf32> to tensor<?x?x2x2xf32>
  %b = tensor.collapse_shape %b_g [[0], [1], [2, 3]] : tensor<?x?x2x2xf32> into tensor<?x?x4xf32>
  %a = tensor.collapse_shape %a_g [[0], [1], [2, 3]] : tensor<?x?x2x2xf32> into tensor<?x?x4xf32>

  // One short conv over concat(q, k, v) (64 channels) + SiLU, carrying the last 3 inputs.
  %q_f = tensor.collapse_shape %q_g [[0], [1], [2, 3]] : tensor<?x?x2x8xf32> into tensor<?x?x16xf32>
  %k_f = tensor.collapse_shape %k_g [[0], [1], [2, 3]] : tensor<?x?x2x8xf32> into tensor<?x?x16xf32>
  %v_f = tensor.collapse_shape %v_g [[0], [1], [2, 3]] : tensor<?x?x2x16xf32> into tensor<?x?x32xf32>
  %qkv = tensor.concat dim(2) %q_f, %k_f, %v_f
      : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x32xf32>) -> tensor<?x?x64xf32>
  %w_c = tensor.collapse_shape %w_conv [[0, 1], [2]] : tensor<64x1x4xf32> into tensor<64x4xf32>
  %qkv_c, %conv_out = hymir.causal_conv1d %qkv, %w_c state(%conv) {activation = #hymir.activation<silu>}
      : tensor<?x?x64xf32>, tensor<64x4xf32>, tensor<?x3x64xf32> -> tensor<?x?x64xf32>, tensor<?x3x64xf32>
  %q_cf = tensor.extract_slice %qkv_c[0, 0, 0] [%B, %T, 16] [1, 1, 1] : tensor<?x?x64xf32> to tensor<?x?x16xf32>
  %k_cf = tensor.extract_slice %qkv_c[0, 0, 16] [%B, %T, 16] [1, 1, 1] : tensor<?x?x64xf32> to tensor<?x?x16xf32>
  %v_cf = tensor.extract_slice %qkv_c[0, 0, 32] [%B, %T, 32] [1, 1, 1] : tensor<?x?x64xf32> to tensor<?x?x32xf32>
  %q = tensor.expand_shape %q_cf [[0], [1], [2, 3]] output_shape [%B, %T, 2, 8]
      : tensor<?x?x16xf32> into tensor<?x?x2x8xf32>
  %k = tensor.expand_shape %k_cf [[0], [1], [2, 3]] output_shape [%B, %T, 2, 8]
      : tensor<?x?x16xf32> into tensor<?x?x2x8xf32>
  %v = tensor.expand_shape %v_cf [[0], [1], [2, 3]] output_shape [%B, %T, 4, 8]
      : tensor<?x?x32xf32> into tensor<?x?x4x8xf32>

  // The gated delta rule over 4 value heads; value head h reads q/k head h // 2 (GVA).
  %A_exp = math.exp %A_log : tensor<4xf32>
  %A = arith.negf %A_exp : tensor<4xf32>
  %o, %S_T = hymir.scan heads = 4
      ins(%q, %k, %v, %a, %b : tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x4x8xf32>,
          tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      params(%A, %dt_bias : tensor<4xf32>, tensor<4xf32>)
      inits(%S0 : tensor<?x4x8x8xf32>) -> (tensor<?x?x4x8xf32>) {
  ^bb0(%q_t: tensor<8xf32>, %k_t: tensor<8xf32>, %v_t: tensor<8xf32>, %a_t: f32, %b_t: f32,
       %A_h: f32, %dt_bias_h: f32, %S: tensor<8x8xf32>):
    %zero_s = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %scale = arith.constant 0.353553385 : f32
    // q̂, k̂ = l2norm(q), l2norm(k)
    %q_n = hymir.l2_norm %q_t {eps = 1.0e-06 : f32} : tensor<8xf32>
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<8xf32>
    // g = A_h · softplus(a + dt_bias_h),  softplus(x) = max(x, 0) + log1p(exp(−|x|))
    %s = arith.addf %a_t, %dt_bias_h : f32
    %s_abs = math.absf %s : f32
    %s_nabs = arith.negf %s_abs : f32
    %s_exp = math.exp %s_nabs : f32
    %s_log1p = math.log1p %s_exp : f32
    %s_pos = arith.maximumf %s, %zero_s : f32
    %softplus = arith.addf %s_pos, %s_log1p : f32
    %g_t = arith.mulf %A_h, %softplus : f32
    // β = sigmoid(b) = 1 / (1 + exp(−b))
    %b_neg = arith.negf %b_t : f32
    %b_exp = math.exp %b_neg : f32
    %b_den = arith.addf %one, %b_exp : f32
    %beta_t = arith.divf %one, %b_den : f32
    // S' = exp(g) S;  u = β (v − S'ᵀ k̂);  S_new = S' + k̂ ⊗ u;  o = S_newᵀ (scale · q̂)
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<8x8xf32>, f32
    %pred = hymir.read %S_decayed, %k_n : tensor<8x8xf32>, tensor<8xf32> -> tensor<8xf32>
    %err = arith.subf %v_t, %pred : tensor<8xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<8xf32>, f32
    %ku = hymir.outer %k_n, %u_t : tensor<8xf32>, tensor<8xf32> -> tensor<8x8xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<8x8xf32>
    %q_s = hymir.scale %q_n, %scale : tensor<8xf32>, f32
    %o_t = hymir.read %S_new, %q_s : tensor<8x8xf32>, tensor<8xf32> -> tensor<8xf32>
    hymir.yield %o_t, %S_new : tensor<8xf32>, tensor<8x8xf32>
  }

  // Gated RMSNorm per value head: rmsnorm(o) · w · silu(z), then out_proj.
  %z_f = tensor.collapse_shape %z_g [[0], [1], [2, 3]] : tensor<?x?x2x16xf32> into tensor<?x?x32xf32>
  %z = tensor.expand_shape %z_f [[0], [1], [2, 3]] output_shape [%B, %T, 4, 8]
      : tensor<?x?x32xf32> into tensor<?x?x4x8xf32>
  %o_n = hymir.rms_norm %o, %w_norm {eps = 1.0e-06 : f32} : tensor<?x?x4x8xf32>, tensor<8xf32>
  %e_o = tensor.empty(%B, %T) : tensor<?x?x4x8xf32>
  %o_g = linalg.generic {indexing_maps = [#id4, #id4, #id4],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%o_n, %z : tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>) outs(%e_o : tensor<?x?x4x8xf32>) {
  ^bb0(%o_e: f32, %z_e: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %z_neg = arith.negf %z_e : f32
    %z_exp = math.exp %z_neg : f32
    %z_den = arith.addf %one, %z_exp : f32
    %z_silu = arith.divf %z_e, %z_den : f32
    %r = arith.mulf %o_e, %z_silu : f32
    linalg.yield %r : f32
  } -> tensor<?x?x4x8xf32>
  %o_f = tensor.collapse_shape %o_g [[0], [1], [2, 3]] : tensor<?x?x4x8xf32> into tensor<?x?x32xf32>
  %e32 = tensor.empty(%B, %T) : tensor<?x?x32xf32>
  %z32 = linalg.fill ins(%zero : f32) outs(%e32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %y = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%o_f, %w_out : tensor<?x?x32xf32>, tensor<32x32xf32>) outs(%z32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  return %y, %conv_out, %S_T : tensor<?x?x32xf32>, tensor<?x3x64xf32>, tensor<?x4x8x8xf32>
}

// Gated attention, input side (HF Qwen3NextAttention): q_proj gives per head [q 16 | gate 16];
// q = rope(q_norm(q)), k = rope(k_norm(k_proj x)), v = v_proj x, token t of sequence b at
// position pos[b] + t.
func.func private @attention_qkv(%x: tensor<?x?x32xf32>, %pos: tensor<?xi32>, %w_q: tensor<128x32xf32>,
                                 %w_k: tensor<32x32xf32>, %w_v: tensor<32x32xf32>,
                                 %w_qn: tensor<16xf32>, %w_kn: tensor<16xf32>)
    -> (tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<16xf32>
  %B = tensor.dim %x, %c0 : tensor<?x?x32xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x32xf32>
  %e128 = tensor.empty(%B, %T) : tensor<?x?x128xf32>
  %z128 = linalg.fill ins(%zero : f32) outs(%e128 : tensor<?x?x128xf32>) -> tensor<?x?x128xf32>
  %qg = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%x, %w_q : tensor<?x?x32xf32>, tensor<128x32xf32>) outs(%z128 : tensor<?x?x128xf32>) -> tensor<?x?x128xf32>
  %qg_h = tensor.expand_shape %qg [[0], [1], [2, 3]] output_shape [%B, %T, 4, 32]
      : tensor<?x?x128xf32> into tensor<?x?x4x32xf32>
  %q_raw = tensor.extract_slice %qg_h[0, 0, 0, 0] [%B, %T, 4, 16] [1, 1, 1, 1]
      : tensor<?x?x4x32xf32> to tensor<?x?x4x16xf32>
  %gate = tensor.extract_slice %qg_h[0, 0, 0, 16] [%B, %T, 4, 16] [1, 1, 1, 1]
      : tensor<?x?x4x32xf32> to tensor<?x?x4x16xf32>
  %e32 = tensor.empty(%B, %T) : tensor<?x?x32xf32>
  %z32 = linalg.fill ins(%zero : f32) outs(%e32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %k_f = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%x, %w_k : tensor<?x?x32xf32>, tensor<32x32xf32>) outs(%z32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %v_f = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%x, %w_v : tensor<?x?x32xf32>, tensor<32x32xf32>) outs(%z32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %k_raw = tensor.expand_shape %k_f [[0], [1], [2, 3]] output_shape [%B, %T, 2, 16]
      : tensor<?x?x32xf32> into tensor<?x?x2x16xf32>
  %v = tensor.expand_shape %v_f [[0], [1], [2, 3]] output_shape [%B, %T, 2, 16]
      : tensor<?x?x32xf32> into tensor<?x?x2x16xf32>
  // Zero-centred RMSNorm per head (q_norm, k_norm).
  %w_qn1 = arith.addf %w_qn, %one : tensor<16xf32>
  %w_kn1 = arith.addf %w_kn, %one : tensor<16xf32>
  %q_n = hymir.rms_norm %q_raw, %w_qn1 {eps = 1.0e-06 : f32} : tensor<?x?x4x16xf32>, tensor<16xf32>
  %k_n = hymir.rms_norm %k_raw, %w_kn1 {eps = 1.0e-06 : f32} : tensor<?x?x2x16xf32>, tensor<16xf32>
  // RoPE on the first 8 dims (rotate-half: pairs (i, i + 4)).
  %q_d = tensor.cast %q_n : tensor<?x?x4x16xf32> to tensor<?x?x?x16xf32>
  %k_d = tensor.cast %k_n : tensor<?x?x2x16xf32> to tensor<?x?x?x16xf32>
  %q_r = func.call @rope(%q_d, %pos) : (tensor<?x?x?x16xf32>, tensor<?xi32>) -> tensor<?x?x?x16xf32>
  %k_r = func.call @rope(%k_d, %pos) : (tensor<?x?x?x16xf32>, tensor<?xi32>) -> tensor<?x?x?x16xf32>
  %q = tensor.cast %q_r : tensor<?x?x?x16xf32> to tensor<?x?x4x16xf32>
  %k = tensor.cast %k_r : tensor<?x?x?x16xf32> to tensor<?x?x2x16xf32>
  return %q, %k, %v, %gate : tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x4x16xf32>
}

// Rotary embedding of x [B, T, H, 16] at positions pos[b] + t: φ_i = (pos[b] + t) · 10^(−i),
// i < 4.
func.func private @rope(%x: tensor<?x?x?x16xf32>, %pos: tensor<?xi32>) -> tensor<?x?x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %inv_freq = arith.constant dense<[1.0, 0.1, 0.01, 0.001]> : tensor<4xf32>
  %B = tensor.dim %x, %c0 : tensor<?x?x?x16xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x?x16xf32>
  %H = tensor.dim %x, %c2 : tensor<?x?x?x16xf32>
  %e = tensor.empty(%B, %T, %H) : tensor<?x?x?x4xf32>
  %angles = linalg.generic {indexing_maps = [#frq, #bpos, #id4],
                            iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%inv_freq, %pos : tensor<4xf32>, tensor<?xi32>) outs(%e : tensor<?x?x?x4xf32>) {
  ^bb0(%f: f32, %p0: i32, %out: f32):
    %t = linalg.index 1 : index
    %t_i = arith.index_cast %t : index to i64
    %p0_i = arith.extsi %p0 : i32 to i64
    %p_i = arith.addi %p0_i, %t_i : i64
    %p_f = arith.sitofp %p_i : i64 to f32
    %phi = arith.mulf %p_f, %f : f32
    linalg.yield %phi : f32
  } -> tensor<?x?x?x4xf32>
  %y = hymir.rotary %x, %angles : tensor<?x?x?x16xf32>, tensor<?x?x?x4xf32>
  return %y : tensor<?x?x?x16xf32>
}

// Gated attention, output side: o_proj(o · sigmoid(gate)).
func.func private @attention_out(%o: tensor<?x?x4x16xf32>, %gate: tensor<?x?x4x16xf32>,
                                 %w_o: tensor<32x64xf32>) -> tensor<?x?x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %o, %c0 : tensor<?x?x4x16xf32>
  %T = tensor.dim %o, %c1 : tensor<?x?x4x16xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x4x16xf32>
  %og = linalg.generic {indexing_maps = [#id4, #id4, #id4],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%o, %gate : tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) outs(%e : tensor<?x?x4x16xf32>) {
  ^bb0(%o_e: f32, %g_e: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %g_neg = arith.negf %g_e : f32
    %g_exp = math.exp %g_neg : f32
    %g_den = arith.addf %one, %g_exp : f32
    %r = arith.divf %o_e, %g_den : f32
    linalg.yield %r : f32
  } -> tensor<?x?x4x16xf32>
  %og_f = tensor.collapse_shape %og [[0], [1], [2, 3]] : tensor<?x?x4x16xf32> into tensor<?x?x64xf32>
  %e32 = tensor.empty(%B, %T) : tensor<?x?x32xf32>
  %z32 = linalg.fill ins(%zero : f32) outs(%e32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %y = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%og_f, %w_o : tensor<?x?x64xf32>, tensor<32x64xf32>) outs(%z32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// h + mlp(norm_post(h)), with the SwiGLU MLP down(silu(gate(x)) · up(x)).
func.func private @mlp_block(%h: tensor<?x?x32xf32>, %w_post: tensor<32xf32>,
                             %w_gate: tensor<64x32xf32>, %w_up: tensor<64x32xf32>,
                             %w_down: tensor<32x64xf32>) -> tensor<?x?x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %h, %c0 : tensor<?x?x32xf32>
  %T = tensor.dim %h, %c1 : tensor<?x?x32xf32>
  %x = func.call @rms_norm_zc(%h, %w_post) : (tensor<?x?x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %e64 = tensor.empty(%B, %T) : tensor<?x?x64xf32>
  %z64 = linalg.fill ins(%zero : f32) outs(%e64 : tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %g = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%x, %w_gate : tensor<?x?x32xf32>, tensor<64x32xf32>) outs(%z64 : tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %u = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%x, %w_up : tensor<?x?x32xf32>, tensor<64x32xf32>) outs(%z64 : tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %a = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%g, %u : tensor<?x?x64xf32>, tensor<?x?x64xf32>) outs(%e64 : tensor<?x?x64xf32>) {
  ^bb0(%g_e: f32, %u_e: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %g_neg = arith.negf %g_e : f32
    %g_exp = math.exp %g_neg : f32
    %g_den = arith.addf %one, %g_exp : f32
    %g_silu = arith.divf %g_e, %g_den : f32
    %r = arith.mulf %g_silu, %u_e : f32
    linalg.yield %r : f32
  } -> tensor<?x?x64xf32>
  %e32 = tensor.empty(%B, %T) : tensor<?x?x32xf32>
  %z32 = linalg.fill ins(%zero : f32) outs(%e32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %d = linalg.contract indexing_maps = [#px, #pw, #py]
      ins(%a, %w_down : tensor<?x?x64xf32>, tensor<32x64xf32>) outs(%z32 : tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %h1 = arith.addf %h, %d : tensor<?x?x32xf32>
  return %h1 : tensor<?x?x32xf32>
}

} // module
