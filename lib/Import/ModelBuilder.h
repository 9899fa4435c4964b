//===- ModelBuilder.h - Emit model modules as MLIR text ---------*- C++ -*-===//
//
// Private to HymirImport. The layer library of hymir-import: a model is
// described by a `ModelSpec` (layers, each a mixer and an MLP, with the
// checkpoint's tensor names), and `emitModel` writes the module in the
// format of docs/models.md as MLIR text: one function per layer (attention
// layers have a prefill and a decode function), `@prefill`, `@decode`, and
// the blocks the layers share.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_IMPORT_MODELBUILDER_H
#define HYMIR_LIB_IMPORT_MODELBUILDER_H

#include "hymir/Import/Import.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hymir {
namespace import {

/// How an RMSNorm applies its weight.
enum class NormKind {
  /// x / rms(x) · w
  Plain,
  /// x / rms(x) · (1 + w): Qwen3-Next's zero-centred norm.
  ZeroCentred,
  /// LayerNorm with weight and bias (RWKV-7; only the final norm goes
  /// through `ModelSpec::normKind`, the blocks emit theirs).
  LayerNormAffine,
};

/// Softmax attention with a KV cache.
struct AttentionSpec {
  int64_t heads = 0, kvHeads = 0, headDim = 0;
  /// q_proj gives per head [q | gate]; the output is o · sigmoid(gate).
  bool outputGate = false;
  /// Per-head q_norm / k_norm (RMSNorm over the head dim) when set.
  bool qkNorm = false;
  /// OLMo's q_norm / k_norm: RMSNorm over the whole projection (H·D).
  bool qkNormFull = false;
  NormKind qkNormKind = NormKind::Plain;
  /// Rotary dims (rotate-half) at the start of each head; 0: no RoPE.
  int64_t rotaryDim = 0;
  double ropeTheta = 10000.0;
  double scale = 0.0;
  /// Local attention: each query sees the last `window` keys (0: all).
  int64_t window = 0;
  /// o_proj has a bias (RecurrentGemma).
  bool outputBias = false;
  /// Value head dim when it differs from headDim (MLA); 0: headDim.
  int64_t valueDim = 0;
  /// Kimi Linear's MLA without positional encoding: q_proj gives per head
  /// [nope | rope] (headDim = nope + rope); kv_a_proj_with_mqa gives
  /// [latent kvLoraRank | k_rope]; the latent is RMS-normed
  /// (kv_a_layernorm) and kv_b_proj gives per head [k_nope | v]; the key is
  /// [k_nope | k_rope] with k_rope shared by all heads.
  bool mla = false;
  int64_t kvLoraRank = 0, nopeDim = 0, ropeDim = 0;
  int64_t vDim() const { return valueDim ? valueDim : headDim; }
};

/// Griffin's recurrent block (HF RecurrentGemmaRecurrentBlock): linear_y →
/// gelu_tanh; linear_x → short conv (bias, no activation) → RG-LRU; the
/// product through linear_out. All linears have biases.
struct RgLruSpec {
  int64_t width = 0, blocks = 0, convKernel = 0;
};

/// Qwen3-Next's Gated DeltaNet.
struct GatedDeltaNetSpec {
  int64_t keyHeads = 0, valueHeads = 0, keyDim = 0, valueDim = 0, convKernel = 0;
  /// OLMo Hybrid / fla: q_proj, k_proj, v_proj, a_proj, b_proj, g_proj,
  /// o_norm, o_proj instead of Qwen3-Next's in_proj_qkvz / in_proj_ba /
  /// norm / out_proj.
  bool separateProjections = false;
  /// β = betaScale · sigmoid(b) (2 with allow_neg_eigval).
  double betaScale = 1.0;
  /// eps of the gated output norm (0: the model's rms_norm_eps).
  double normEps = 0.0;
};

/// A Mamba-2 mixer (HF Mamba2Mixer / GraniteMoeHybridMambaLayer).
struct Mamba2Spec {
  int64_t heads = 0, headDim = 0, stateSize = 0, groups = 0, convKernel = 0;
  bool convBias = true;
  /// dt is clamped to [dtMin, dtMax] when set.
  bool dtClamp = false;
  double dtMin = 0.0, dtMax = 0.0;
  double normEps = 1e-5;
  int64_t inner() const { return heads * headDim; }
  int64_t convDim() const { return inner() + 2 * groups * stateSize; }
};

/// A Mamba-1 mixer (HF MambaMixer / JambaMambaMixer): in_proj → [x | z],
/// short conv + SiLU on x, x_proj → [dt (rank R) | B | C] (each RMS-normed
/// when `innerNorms`, Jamba's dt/b/c_layernorm), dt_proj (+ bias), the
/// selective scan with a per-channel A [Di, N], D skip and silu(z) gate.
struct Mamba1Spec {
  int64_t inner = 0, stateSize = 0, dtRank = 0, convKernel = 0;
  bool convBias = true;
  bool innerNorms = false;
};

/// xLSTM's mLSTM layer (HF xLSTMLayer, weight_mode "single"): q, k, v,
/// output gate, soft-capped input / forget gate pre-activations (with bias),
/// the stabilised matrix-memory recurrence, a multi-head LayerNorm, out_proj.
struct MLstmSpec {
  int64_t heads = 0, qkHeadDim = 0, vHeadDim = 0;
  double gateSoftCap = 15.0;
  double eps = 1e-6;
};

/// xLSTM's sLSTM layer (NX-AI xlstm's sLSTMLayer): causal conv + SiLU
/// feeding the i/f gates, head-wise (block-diagonal) gate projections, the
/// stabilised scalar-memory recurrence with per-head recurrent matrices
/// (OPS.md §14, no clamp of n, m_t = i on the first step), a multi-head
/// LayerNorm with weight 1 + w.
struct SLstmSpec {
  int64_t heads = 0, headDim = 0;
  /// 0: no conv (the gates read the normed input directly).
  int64_t convKernel = 0;
  /// Checkpoint layout of slstm_cell._recurrent_kernel_ / _bias_: the
  /// "cuda" backend's [NH, DH, 4·DH] / [NH·4·DH] (gates inside heads), or
  /// the "vanilla" backend's [NH, 4·DH, DH] / [4·NH·DH] (heads inside gates).
  bool vanillaLayout = false;
  /// Epsilon of the multi-head LayerNorm (the library's fixed 1e-5).
  double eps = 1e-5;
};

/// Kimi Delta Attention (Kimi Linear's KDA layers): q/k/v projections with
/// one short conv each (SiLU), a per-channel forget gate from the low-rank
/// f_a/f_b projections, β = sigmoid(b_proj), the gated delta rule with a
/// diagonal decay, and rmsnorm(o)·w·sigmoid(g_b(g_a x)).
struct KdaSpec {
  int64_t heads = 0, headDim = 0, convKernel = 0;
};

/// An RWKV-7 block (fla's RWKV7Block): token-shift mixes, LoRA gates, the
/// generalised delta rule (diag + rank-1 transition), per-head GroupNorm,
/// the r·k bonus and output gate; then the squared-ReLU channel mix. The
/// whole block is emitted by one function (LayerNorms with bias, the
/// value residual v_first from layer 0).
struct Rwkv7Spec {
  int64_t heads = 0, keyDim = 0, valueDim = 0;
  int64_t decayRank = 0, gateRank = 0, aRank = 0, vRank = 0;
  int64_t intermediate = 0;
  double normEps = 1e-5;
  /// Layer 0: produces v_first and, with norm_first, applies pre_norm.
  bool first = false, preNorm = false;
};

/// The feed-forward part of a layer.
struct MlpSpec {
  enum class Kind {
    None,
    /// SwiGLU with gate_proj, up_proj, down_proj.
    Dense,
    /// Qwen3-Next's (and Jamba's) sparse MoE: per-expert SwiGLU tensors
    /// (experts.E.{gate,up,down}_proj), a router, softmax → top-k
    /// (→ renormalised), a shared expert scaled by sigmoid(shared_expert_gate)
    /// when sharedIntermediate > 0.
    QwenMoe,
    /// Granite 4.0's MoE: stacked experts (input_linear [E, 2I, D],
    /// output_linear [E, D, I]), router `router.layer`, top-k of the logits
    /// then softmax over them; plus a shared SwiGLU MLP (shared_mlp).
    GraniteMoe,
    /// DeepSeek-V3 / Kimi Linear MoE: experts.E.{w1 (gate), w3 (up), w2
    /// (down)}, router gate.weight with gate.e_score_correction_bias:
    /// sigmoid scores, top-k of scores + bias, weights = the scores
    /// (renormalised with normTopK) × routedScaling; shared_experts SwiGLU.
    DeepSeekMoe,
    /// NX-AI xlstm's GatedFeedForward: proj_up [2I, D] gives [gate | up],
    /// proj_down(act(gate) · up); act is exact GELU or SiLU (`geluErf`).
    GatedFfn,
  };
  Kind kind = Kind::None;
  int64_t intermediate = 0;
  int64_t experts = 0, topK = 0, expertIntermediate = 0, sharedIntermediate = 0;
  bool normTopK = true;
  double routedScaling = 1.0;
  /// Dense MLP: the activation of the gate (SiLU, or GELU with the tanh
  /// approximation) and whether the three projections have biases.
  bool geluTanh = false;
  /// GatedFfn: GELU with erf (PyTorch's default gelu) instead of SiLU.
  bool geluErf = false;
  bool bias = false;
  /// Dense MLP tensor names, relative to the MLP module (xLSTM:
  /// proj_up_gate / proj_up / proj_down).
  std::string gateName = "gate_proj", upName = "up_proj", downName = "down_proj";
  /// QwenMoe's router, relative to the MLP module ("gate.weight"; Jamba's
  /// "router.weight").
  std::string routerName = "gate.weight";
};

struct LayerSpec {
  enum class Mixer { Attention, GatedDeltaNet, Mamba2, Mamba1, RgLru, MLstm, SLstm, Rwkv7, Kda };
  Mixer mixer = Mixer::Attention;
  /// "model.layers.3."
  std::string prefix;
  /// Tensor name of the input norm, relative to the prefix.
  std::string inputNorm = "input_layernorm.weight";
  /// Mixer module name relative to the prefix ("self_attn", "linear_attn",
  /// "mixer", "mamba").
  std::string mixerName;
  AttentionSpec attention;
  GatedDeltaNetSpec gdn;
  Mamba2Spec mamba2;
  Mamba1Spec mamba1;
  RgLruSpec rglru;
  MLstmSpec mlstm;
  SLstmSpec slstm;
  Rwkv7Spec rwkv7;
  KdaSpec kda;
  /// The MLP (with its norm post_attention_layernorm) when kind != None.
  MlpSpec mlp;
  std::string postNorm = "post_attention_layernorm.weight";
  /// OLMo-2/3's post-norm block: h += norm_a(mixer(h)); h += norm_f(mlp(h))
  /// with norm_a = postNorm and norm_f = postFfnNorm, no input norm.
  bool postNormBlock = false;
  std::string postFfnNorm = "post_feedforward_layernorm.weight";
  /// NX-AI xlstm's block norms (xlstm_norm, ffn_norm): LayerNorm without
  /// bias, weight applied as 1 + w, eps `blockNormEps`, instead of the
  /// model's norm.
  bool layerNormZeroCentred = false;
  double blockNormEps = 1e-5;
  /// MLP module name ("mlp", "feed_forward", ...); Granite's MoE uses
  /// block_sparse_moe and shared_mlp regardless.
  std::string mlpName = "mlp";
};

struct ModelSpec {
  /// Used in the header and the file name of the tool's messages.
  std::string title;
  /// Lines of the header comment describing the config (without "// ").
  std::vector<std::string> description;
  int64_t vocab = 0, hidden = 0;
  double eps = 1e-6;
  NormKind normKind = NormKind::Plain;
  std::string embedName = "model.embed_tokens.weight";
  std::string finalNormName = "model.norm.weight";
  /// Empty: tied to the embedding.
  std::string lmHeadName = "lm_head.weight";
  double embeddingMultiplier = 1.0;
  double residualMultiplier = 1.0;
  /// logits / logitsScaling.
  double logitsScaling = 1.0;
  /// logits = cap · tanh(logits / cap) when > 0.
  double logitsSoftcap = 0.0;
  std::vector<LayerSpec> layers;
  /// MoE dispatch: every expert on every token weighted by its routing
  /// weight (the dense reference form) instead of each expert on its routed
  /// tokens only (gather, run, scatter-add).
  bool denseMoe = false;
};

/// Emits the module for `spec`.
ImportedModel emitModel(const ModelSpec &spec);

} // namespace import
} // namespace hymir

#endif // HYMIR_LIB_IMPORT_MODELBUILDER_H
