//===- Import.cpp - config.json to a model module -------------------------===//
//
// One function per model family reads the family's config.json fields (the
// names and defaults of Hugging Face's configuration classes) into a
// `ModelSpec`; `emitModel` writes the module. Fields a family does not
// implement (biases, RoPE scaling, other activations) are rejected by name
// rather than ignored.
//
//===----------------------------------------------------------------------===//

#include "hymir/Import/Import.h"

#include "ConfigReader.h"
#include "ModelBuilder.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace hymir::import;

namespace {

std::string S(int64_t v) { return std::to_string(v); }
std::string G(double v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%g", v);
  return s;
}

/// A compact picture of the layer pattern: one letter per layer, in groups
/// of the pattern's period when it has one.
std::string patternLine(const ModelSpec &spec) {
  std::string s;
  for (const LayerSpec &l : spec.layers)
    s += l.mixer == LayerSpec::Mixer::Attention       ? 'A'
         : l.mixer == LayerSpec::Mixer::GatedDeltaNet ? 'G'
         : l.mixer == LayerSpec::Mixer::RgLru         ? 'R'
         : l.mixer == LayerSpec::Mixer::MLstm         ? 'X'
         : l.mixer == LayerSpec::Mixer::SLstm         ? 'S'
         : l.mixer == LayerSpec::Mixer::Rwkv7         ? 'W'
         : l.mixer == LayerSpec::Mixer::Kda           ? 'K'
                                                      : 'M';
  return s;
}

std::string mlpLine(const MlpSpec &m) {
  switch (m.kind) {
  case MlpSpec::Kind::None:
    return "none";
  case MlpSpec::Kind::Dense:
    return "dense SwiGLU " + S(m.intermediate);
  case MlpSpec::Kind::GatedFfn:
    return std::string("gated FFN ") + (m.geluErf ? "gelu" : "swish") + " " +
           S(m.intermediate);
  case MlpSpec::Kind::QwenMoe:
    return "MoE " + S(m.experts) + " experts top-" + S(m.topK) + " (SwiGLU " +
           S(m.expertIntermediate) + ", softmax then top-k" +
           (m.normTopK ? ", renormalised" : "") + ")" +
           (m.sharedIntermediate
                ? " + shared expert " + S(m.sharedIntermediate) +
                      " gated by sigmoid(shared_expert_gate)"
                : "");
  case MlpSpec::Kind::GraniteMoe:
    return (m.experts ? "MoE " + S(m.experts) + " experts top-" + S(m.topK) +
                            " (SwiGLU " + S(m.expertIntermediate) +
                            ", top-k logits then softmax)"
                      : std::string("no routed experts")) +
           (m.sharedIntermediate
                ? " + shared SwiGLU MLP " + S(m.sharedIntermediate)
                : "");
  case MlpSpec::Kind::DeepSeekMoe:
    return "MoE " + S(m.experts) + " experts top-" + S(m.topK) + " (SwiGLU " +
           S(m.expertIntermediate) + ", sigmoid scores + correction bias" +
           (m.normTopK ? ", renormalised" : "") + ", scaled by " +
           std::to_string(m.routedScaling) + ")" +
           (m.sharedIntermediate
                ? " + shared SwiGLU MLP " + S(m.sharedIntermediate)
                : "");
  }
  return "";
}

/// Rejects a hidden_act other than SiLU.
void requireSilu(ConfigReader &cfg, llvm::StringRef field) {
  if (!cfg.hasValue(field))
    return;
  std::string act = cfg.getString(field);
  if (!cfg.failed() && act != "silu" && act != "swish")
    cfg.fail(field, "'" + act + "' is not supported (only 'silu')");
}

/// The fields every family reads first: vocab_size, hidden_size,
/// num_hidden_layers, the norm epsilon (`epsField`, default `epsDefault`) and
/// tie_word_embeddings (default `tied`; tied embeddings need no lm_head).
/// Returns the layer count.
int64_t readBasics(ConfigReader &cfg, ModelSpec &spec, llvm::StringRef epsField,
                   double epsDefault, bool tied = false) {
  spec.vocab = cfg.getPositive("vocab_size");
  spec.hidden = cfg.getPositive("hidden_size");
  int64_t layers = cfg.getPositive("num_hidden_layers");
  spec.eps = cfg.getNumber(epsField, epsDefault);
  if (cfg.getBool("tie_word_embeddings", tied))
    spec.lmHeadName.clear();
  return layers;
}

/// The header line of the fields readBasics reads.
std::string basicsLine(const ModelSpec &spec, int64_t layers,
                       llvm::StringRef epsField) {
  return "vocab_size " + S(spec.vocab) + ", hidden_size " + S(spec.hidden) +
         ", num_hidden_layers " + S(layers) + ", " + epsField.str() + " " +
         G(spec.eps) + ", tie_word_embeddings " +
         (spec.lmHeadName.empty() ? "true" : "false");
}

/// `field` (= `value`) must be a multiple of `divisorField` (= `divisor`).
bool requireMultiple(ConfigReader &cfg, llvm::StringRef field, int64_t value,
                     llvm::StringRef divisorField, int64_t divisor) {
  if (value % divisor == 0)
    return true;
  cfg.fail(field, llvm::Twine(value) + " is not a multiple of " +
                      divisorField + " (" + llvm::Twine(divisor) + ")");
  return false;
}

/// `layer_types` of the linear/full attention hybrids (Qwen3-Next, OLMo
/// Hybrid): true where a layer is 'full_attention'. std::nullopt with the
/// field absent (the family's default pattern applies) or on an error
/// (recorded in `cfg`).
std::optional<std::vector<bool>> readAttentionLayerTypes(ConfigReader &cfg,
                                                         int64_t layers) {
  std::optional<std::vector<std::string>> types =
      cfg.getStringList("layer_types");
  if (!types)
    return std::nullopt;
  if ((int64_t)types->size() != layers) {
    cfg.fail("layer_types", "has " + llvm::Twine(types->size()) +
                                " entries but num_hidden_layers is " +
                                llvm::Twine(layers));
    return std::nullopt;
  }
  std::vector<bool> isAttention(layers, false);
  for (auto [i, t] : llvm::enumerate(*types)) {
    if (t == "full_attention")
      isAttention[i] = true;
    else if (t != "linear_attention") {
      cfg.fail("layer_types",
               "element " + llvm::Twine(i) + ": unknown layer type '" + t +
                   "' (expected 'linear_attention' or 'full_attention')");
      return std::nullopt;
    }
  }
  return isAttention;
}

/// HF's `rope_parameters` object, when present: its rope_theta (and
/// partial_rotary_factor where `partial` is given) override the defaults
/// passed in; only rope_type 'default' is implemented.
bool readRopeParameters(ConfigReader &cfg, double &theta,
                        double *partial = nullptr) {
  const llvm::json::Object *rope = cfg.getObject("rope_parameters");
  if (!rope)
    return !cfg.failed();
  ConfigReader sub(*rope, "");
  theta = sub.getNumber("rope_theta", theta);
  if (partial)
    *partial = sub.getNumber("partial_rotary_factor", *partial);
  std::string type = sub.getString("rope_type", "default");
  if (sub.failed() || type != "default") {
    cfg.fail("rope_parameters",
             sub.failed()
                 ? llvm::Twine(llvm::StringRef(sub.getMessage()).drop_front(2))
                 : llvm::Twine("rope_type '") + type +
                       "' is not supported (only 'default')");
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Qwen3-Next (HF Qwen3NextConfig)
//===----------------------------------------------------------------------===//

bool readQwen3Next(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "Qwen3-Next (qwen3_next)";
  int64_t layers = readBasics(cfg, spec, "rms_norm_eps", 1e-6);
  spec.normKind = NormKind::ZeroCentred;
  requireSilu(cfg, "hidden_act");
  cfg.requireBool("attention_bias", false, "no bias in the projections");
  cfg.requireBool("use_sliding_window", false,
                  "sliding-window attention is not implemented for Qwen3-Next");
  if (cfg.failed())
    return false;

  // Layer pattern: layer_types, else every full_attention_interval-th layer.
  std::vector<bool> isAttention(layers, false);
  if (std::optional<std::vector<bool>> types =
          readAttentionLayerTypes(cfg, layers)) {
    isAttention = *types;
  } else if (!cfg.failed()) {
    int64_t interval = cfg.getInt("full_attention_interval", 4, 1);
    for (int64_t i = 0; i < layers; ++i)
      isAttention[i] = (i + 1) % interval == 0;
  }
  if (cfg.failed())
    return false;
  bool anyLinear = llvm::is_contained(isAttention, false);
  bool anyAttention = llvm::is_contained(isAttention, true);

  GatedDeltaNetSpec gdn;
  if (anyLinear) {
    gdn.keyHeads = cfg.getPositive("linear_num_key_heads");
    gdn.valueHeads = cfg.getPositive("linear_num_value_heads");
    gdn.keyDim = cfg.getPositive("linear_key_head_dim");
    gdn.valueDim = cfg.getPositive("linear_value_head_dim");
    gdn.convKernel = cfg.getPositive("linear_conv_kernel_dim");
    if (cfg.failed())
      return false;
    if (!requireMultiple(cfg, "linear_num_value_heads", gdn.valueHeads, "linear_num_key_heads", gdn.keyHeads))
      return false;
    if (gdn.convKernel < 2) {
      cfg.fail("linear_conv_kernel_dim",
               "must be at least 2, got " + llvm::Twine(gdn.convKernel));
      return false;
    }
  }

  AttentionSpec attn;
  if (anyAttention) {
    attn.heads = cfg.getPositive("num_attention_heads");
    attn.kvHeads = cfg.getPositive("num_key_value_heads");
    if (cfg.failed())
      return false;
    // HF's Qwen3NextConfig default (not hidden_size / heads).
    attn.headDim = cfg.getInt("head_dim", 256, 1);
    attn.outputGate = true;
    attn.qkNorm = true;
    attn.qkNormKind = NormKind::ZeroCentred;
    double theta = cfg.getNumber("rope_theta", 10000.0);
    double partial = cfg.getNumber("partial_rotary_factor", 0.25);
    if (!readRopeParameters(cfg, theta, &partial))
      return false;
    cfg.requireNull("rope_scaling", "RoPE scaling is not implemented");
    if (cfg.failed())
      return false;
    if (!requireMultiple(cfg, "num_attention_heads", attn.heads, "num_key_value_heads", attn.kvHeads))
      return false;
    if (!(partial > 0.0 && partial <= 1.0)) {
      cfg.fail("partial_rotary_factor",
               "must be in (0, 1], got " + llvm::Twine(G(partial)));
      return false;
    }
    if (!(theta > 0.0)) {
      cfg.fail("rope_theta", "must be positive, got " + llvm::Twine(G(theta)));
      return false;
    }
    attn.rotaryDim = static_cast<int64_t>(attn.headDim * partial);
    if (attn.rotaryDim < 2 || attn.rotaryDim % 2) {
      cfg.fail("partial_rotary_factor",
               "head_dim " + llvm::Twine(attn.headDim) + " × " +
                   llvm::Twine(G(partial)) + " gives " +
                   llvm::Twine(attn.rotaryDim) +
                   " rotary dims; an even number >= 2 is needed");
      return false;
    }
    attn.ropeTheta = theta;
    attn.scale = 1.0 / std::sqrt(double(attn.headDim));
  }

  // MLPs: MoE where num_experts > 0, the layer is not in mlp_only_layers and
  // (i + 1) % decoder_sparse_step == 0; dense SwiGLU elsewhere.
  int64_t experts = cfg.getInt("num_experts", 0);
  std::vector<int64_t> mlpOnly = cfg.getIntList("mlp_only_layers");
  int64_t sparseStep = cfg.getInt("decoder_sparse_step", 1, 1);
  if (cfg.failed())
    return false;
  for (int64_t i : mlpOnly)
    if (i < 0 || i >= layers) {
      cfg.fail("mlp_only_layers", "layer " + llvm::Twine(i) +
                                      " is out of range [0, " +
                                      llvm::Twine(layers) + ")");
      return false;
    }
  std::vector<bool> isMoe(layers, false);
  for (int64_t i = 0; i < layers; ++i)
    isMoe[i] = experts > 0 && !llvm::is_contained(mlpOnly, i) &&
               (i + 1) % sparseStep == 0;
  MlpSpec moe, dense;
  if (llvm::is_contained(isMoe, true)) {
    moe.kind = MlpSpec::Kind::QwenMoe;
    moe.experts = experts;
    moe.topK = cfg.getPositive("num_experts_per_tok");
    moe.expertIntermediate = cfg.getPositive("moe_intermediate_size");
    moe.sharedIntermediate = cfg.getInt("shared_expert_intermediate_size", 0);
    moe.normTopK = cfg.getBool("norm_topk_prob", true);
    if (cfg.failed())
      return false;
    if (moe.topK > experts) {
      cfg.fail("num_experts_per_tok", llvm::Twine(moe.topK) +
                                          " is more than num_experts (" +
                                          llvm::Twine(experts) + ")");
      return false;
    }
  }
  if (llvm::is_contained(isMoe, false)) {
    dense.kind = MlpSpec::Kind::Dense;
    dense.intermediate = cfg.getPositive("intermediate_size");
    if (cfg.failed())
      return false;
  }

  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.prefix = "model.layers." + S(i) + ".";
    if (isAttention[i]) {
      l.mixer = LayerSpec::Mixer::Attention;
      l.mixerName = "self_attn";
      l.attention = attn;
    } else {
      l.mixer = LayerSpec::Mixer::GatedDeltaNet;
      l.mixerName = "linear_attn";
      l.gdn = gdn;
    }
    l.mlp = isMoe[i] ? moe : dense;
    spec.layers.push_back(l);
  }

  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "rms_norm_eps"));
  d.push_back("layers (G = Gated DeltaNet, A = gated attention): " +
              patternLine(spec));
  if (anyLinear)
    d.push_back("Gated DeltaNet: " + S(gdn.keyHeads) + " q/k heads × " +
                S(gdn.keyDim) + ", " + S(gdn.valueHeads) + " value heads × " +
                S(gdn.valueDim) + ", conv kernel " + S(gdn.convKernel));
  if (anyAttention)
    d.push_back("gated attention: " + S(attn.heads) + " heads, " +
                S(attn.kvHeads) + " kv heads, head_dim " + S(attn.headDim) +
                ", RoPE on " + S(attn.rotaryDim) + " dims, theta " +
                G(attn.ropeTheta));
  if (moe.kind != MlpSpec::Kind::None)
    d.push_back("MLP: " + mlpLine(moe) +
                (dense.kind != MlpSpec::Kind::None
                     ? "; dense layers: " + mlpLine(dense)
                     : ""));
  else
    d.push_back("MLP: " + mlpLine(dense));
  d.push_back("");
  d.push_back("Conventions (docs/models.md): zero-centred RMSNorm x/rms(x)·(1+w) "
              "everywhere but the");
  d.push_back("GDN output norm (rmsnorm(o)·w·silu(z)); q_proj gives [q | gate] "
              "per head; o_proj(o·sigmoid(gate)).");
  return true;
}

//===----------------------------------------------------------------------===//
// Mamba-2 (HF Mamba2Config) and Granite 4.0 (HF GraniteMoeHybridConfig)
//===----------------------------------------------------------------------===//

bool readMamba2(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "Mamba-2 (mamba2)";
  int64_t layers = readBasics(cfg, spec, "layer_norm_epsilon", 1e-5);
  Mamba2Spec m;
  m.heads = cfg.getPositive("num_heads");
  m.headDim = cfg.getPositive("head_dim");
  m.stateSize = cfg.getPositive("state_size");
  m.groups = cfg.getInt("n_groups", 1, 1);
  m.convKernel = cfg.getInt("conv_kernel", 4, 2);
  int64_t expand = cfg.getInt("expand", 2, 1);
  m.convBias = cfg.getBool("use_conv_bias", true);
  m.normEps = spec.eps;
  cfg.requireBool("use_bias", false, "no bias in in_proj / out_proj");
  cfg.requireBool("rms_norm", true, "the gated RMSNorm is implemented");
  // norm_before_gate is not read: Hugging Face's Mamba2 (like mamba_ssm's
  // Mamba2 module) always gates first, rmsnorm(y · silu(z)) · w.
  requireSilu(cfg, "hidden_act");
  if (std::optional<std::vector<double>> limit =
          cfg.getNumberList("time_step_limit")) {
    if (limit->size() != 2) {
      cfg.fail("time_step_limit", "expected [min, max], got " +
                                      llvm::Twine(limit->size()) +
                                      " numbers");
      return false;
    }
    m.dtMin = (*limit)[0];
    m.dtMax = (*limit)[1];
    if (!(m.dtMin >= 0.0 && m.dtMin < m.dtMax)) {
      cfg.fail("time_step_limit", "expected 0 <= min < max");
      return false;
    }
    m.dtClamp = m.dtMin > 0.0 || std::isfinite(m.dtMax);
  }
  if (cfg.failed())
    return false;
  if (m.heads * m.headDim != expand * spec.hidden) {
    cfg.fail("num_heads", "num_heads × head_dim = " +
                              llvm::Twine(m.heads * m.headDim) +
                              " must equal expand × hidden_size = " +
                              llvm::Twine(expand * spec.hidden));
    return false;
  }
  if (m.heads % m.groups) {
    cfg.fail("n_groups", llvm::Twine(m.groups) + " does not divide num_heads (" +
                             llvm::Twine(m.heads) + ")");
    return false;
  }
  spec.normKind = NormKind::Plain;
  spec.embedName = "backbone.embeddings.weight";
  spec.finalNormName = "backbone.norm_f.weight";
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.mixer = LayerSpec::Mixer::Mamba2;
    l.prefix = "backbone.layers." + S(i) + ".";
    l.inputNorm = "norm.weight";
    l.mixerName = "mixer";
    l.mamba2 = m;
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "layer_norm_epsilon"));
  d.push_back("Mamba-2: " + S(m.heads) + " heads × " + S(m.headDim) +
              ", state_size " + S(m.stateSize) + ", n_groups " + S(m.groups) +
              ", conv kernel " + S(m.convKernel) +
              (m.convBias ? " (with bias)" : "") +
              (m.dtClamp ? ", dt clamped to [" + G(m.dtMin) + ", " +
                               G(m.dtMax) + "]"
                         : ""));
  d.push_back("Block: h += mixer(rmsnorm(h)); no MLP. Gated norm: "
              "rmsnorm(y·silu(z))·w per group (mamba_ssm's).");
  return true;
}

bool readGranite(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "Granite 4.0 hybrid (granitemoehybrid)";
  int64_t layers = readBasics(cfg, spec, "rms_norm_eps", 1e-6);
  spec.normKind = NormKind::Plain;
  spec.embeddingMultiplier = cfg.getNumber("embedding_multiplier", 1.0);
  spec.residualMultiplier = cfg.getNumber("residual_multiplier", 1.0);
  spec.logitsScaling = cfg.getNumber("logits_scaling", 1.0);
  requireSilu(cfg, "hidden_act");
  cfg.requireBool("attention_bias", false, "no bias in the projections");
  cfg.requireBool("mamba_proj_bias", false, "no bias in in_proj / out_proj");
  cfg.requireString("normalization_function", "rmsnorm");
  if (cfg.failed())
    return false;
  if (spec.logitsScaling == 0.0) {
    cfg.fail("logits_scaling", "must not be 0");
    return false;
  }
  std::optional<std::vector<std::string>> types =
      cfg.getStringList("layer_types");
  if (cfg.failed())
    return false;
  if (!types) {
    cfg.fail("layer_types",
             "missing (a list of 'mamba' / 'attention' per layer is required)");
    return false;
  }
  if ((int64_t)types->size() != layers) {
    cfg.fail("layer_types", "has " + llvm::Twine(types->size()) +
                                " entries but num_hidden_layers is " +
                                llvm::Twine(layers));
    return false;
  }
  bool anyMamba = false, anyAttention = false;
  for (auto [i, t] : llvm::enumerate(*types)) {
    if (t == "mamba")
      anyMamba = true;
    else if (t == "attention")
      anyAttention = true;
    else {
      cfg.fail("layer_types", "element " + llvm::Twine(i) +
                                  ": unknown layer type '" + t +
                                  "' (expected 'mamba' or 'attention')");
      return false;
    }
  }

  Mamba2Spec m;
  if (anyMamba) {
    m.heads = cfg.getPositive("mamba_n_heads");
    m.stateSize = cfg.getPositive("mamba_d_state");
    m.groups = cfg.getInt("mamba_n_groups", 1, 1);
    m.convKernel = cfg.getInt("mamba_d_conv", 4, 2);
    int64_t expand = cfg.getInt("mamba_expand", 2, 1);
    m.convBias = cfg.getBool("mamba_conv_bias", true);
    m.normEps = spec.eps;
    if (cfg.failed())
      return false;
    int64_t inner = expand * spec.hidden;
    // mamba_d_head: an integer, or "auto" (mamba_expand × hidden_size /
    // mamba_n_heads), Hugging Face's default.
    bool autoHead = !cfg.hasValue("mamba_d_head") ||
                    cfg.isString("mamba_d_head");
    if (autoHead && cfg.hasValue("mamba_d_head") &&
        cfg.getString("mamba_d_head") != "auto")
      cfg.fail("mamba_d_head", "expected a positive integer or \"auto\"");
    if (!autoHead)
      m.headDim = cfg.getInt("mamba_d_head", 0, 1);
    if (cfg.failed())
      return false;
    if (autoHead) {
      if (inner % m.heads) {
        cfg.fail("mamba_n_heads", llvm::Twine(m.heads) +
                                      " does not divide mamba_expand × "
                                      "hidden_size = " +
                                      llvm::Twine(inner));
        return false;
      }
      m.headDim = inner / m.heads;
    }
    if (m.heads * m.headDim != inner) {
      cfg.fail("mamba_n_heads", "mamba_n_heads × mamba_d_head = " +
                                    llvm::Twine(m.heads * m.headDim) +
                                    " must equal mamba_expand × hidden_size = " +
                                    llvm::Twine(inner));
      return false;
    }
    if (m.heads % m.groups) {
      cfg.fail("mamba_n_groups", llvm::Twine(m.groups) +
                                     " does not divide mamba_n_heads (" +
                                     llvm::Twine(m.heads) + ")");
      return false;
    }
  }

  AttentionSpec attn;
  if (anyAttention) {
    attn.heads = cfg.getPositive("num_attention_heads");
    attn.kvHeads = cfg.getPositive("num_key_value_heads");
    if (cfg.failed())
      return false;
    if (attn.heads % attn.kvHeads || spec.hidden % attn.heads) {
      cfg.fail("num_attention_heads",
               llvm::Twine(attn.heads) + " must divide hidden_size (" +
                   llvm::Twine(spec.hidden) +
                   ") and be a multiple of num_key_value_heads (" +
                   llvm::Twine(attn.kvHeads) + ")");
      return false;
    }
    attn.headDim = spec.hidden / attn.heads;
    attn.scale = cfg.getNumber("attention_multiplier", 1.0);
    std::string pos = cfg.getString("position_embedding_type", "nope");
    if (cfg.failed())
      return false;
    if (pos == "rope") {
      attn.rotaryDim = attn.headDim;
      attn.ropeTheta = cfg.getNumber("rope_theta", 10000.0);
      cfg.requireNull("rope_scaling", "RoPE scaling is not implemented");
    } else if (pos != "nope") {
      cfg.fail("position_embedding_type",
               "'" + pos + "' is not supported (expected 'nope' or 'rope')");
    }
    if (cfg.failed())
      return false;
  }

  MlpSpec mlp;
  mlp.kind = MlpSpec::Kind::GraniteMoe;
  mlp.experts = cfg.getInt("num_local_experts", 0);
  mlp.sharedIntermediate = cfg.getInt("shared_intermediate_size", 0);
  if (mlp.experts > 0) {
    mlp.topK = cfg.getPositive("num_experts_per_tok");
    mlp.expertIntermediate = cfg.getPositive("intermediate_size");
    if (!cfg.failed() && mlp.topK > mlp.experts) {
      cfg.fail("num_experts_per_tok", llvm::Twine(mlp.topK) +
                                          " is more than num_local_experts (" +
                                          llvm::Twine(mlp.experts) + ")");
    }
  }
  if (cfg.failed())
    return false;
  if (mlp.experts == 0 && mlp.sharedIntermediate == 0) {
    cfg.fail("shared_intermediate_size",
             "must be positive when num_local_experts is 0 (a layer needs an "
             "MLP)");
    return false;
  }

  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.prefix = "model.layers." + S(i) + ".";
    if ((*types)[i] == "attention") {
      l.mixer = LayerSpec::Mixer::Attention;
      l.mixerName = "self_attn";
      l.attention = attn;
    } else {
      l.mixer = LayerSpec::Mixer::Mamba2;
      l.mixerName = "mamba";
      l.mamba2 = m;
    }
    l.mlp = mlp;
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "rms_norm_eps"));
  d.push_back("embedding_multiplier " + G(spec.embeddingMultiplier) +
              ", residual_multiplier " + G(spec.residualMultiplier) +
              ", logits_scaling " + G(spec.logitsScaling));
  d.push_back("layers (M = Mamba-2, A = attention): " + patternLine(spec));
  if (anyMamba)
    d.push_back("Mamba-2: " + S(m.heads) + " heads × " + S(m.headDim) +
                ", d_state " + S(m.stateSize) + ", n_groups " + S(m.groups) +
                ", conv kernel " + S(m.convKernel));
  if (anyAttention)
    d.push_back("attention: " + S(attn.heads) + " heads, " + S(attn.kvHeads) +
                " kv heads, head_dim " + S(attn.headDim) + ", scale " +
                G(attn.scale) +
                (attn.rotaryDim ? ", RoPE theta " + G(attn.ropeTheta)
                                : ", no positional encoding (nope)"));
  d.push_back("MLP: " + mlpLine(mlp));
  d.push_back("Block: h += residual_multiplier · mixer(rmsnorm(h)); h += "
              "residual_multiplier · mlp(rmsnorm(h)).");
  return true;
}

//===----------------------------------------------------------------------===//
// Jamba (HF JambaConfig) and Mamba-1 (HF MambaConfig)
//===----------------------------------------------------------------------===//

/// dt rank: an integer, or "auto" = ceil(hidden_size / 16).
int64_t readDtRank(ConfigReader &cfg, llvm::StringRef field, int64_t hidden) {
  if (!cfg.hasValue(field) || cfg.isString(field)) {
    if (cfg.hasValue(field) && cfg.getString(field) != "auto")
      cfg.fail(field, "expected a positive integer or \"auto\"");
    return (hidden + 15) / 16;
  }
  return cfg.getPositive(field);
}

bool readJamba(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "Jamba (jamba)";
  int64_t layers = readBasics(cfg, spec, "rms_norm_eps", 1e-6);
  spec.normKind = NormKind::Plain;
  spec.finalNormName = "model.final_layernorm.weight";
  requireSilu(cfg, "hidden_act");
  cfg.requireBool("mamba_proj_bias", false, "no bias in in_proj / out_proj");
  cfg.requireNull("sliding_window", "sliding-window attention is not "
                                    "implemented for Jamba");
  int64_t attnPeriod = cfg.getInt("attn_layer_period", 8, 1);
  int64_t attnOffset = cfg.getInt("attn_layer_offset", 4, 0);
  int64_t expertPeriod = cfg.getInt("expert_layer_period", 2, 1);
  int64_t expertOffset = cfg.getInt("expert_layer_offset", 1, 0);
  int64_t experts = cfg.getInt("num_experts", 16, 1);
  if (cfg.failed())
    return false;
  if (attnOffset >= attnPeriod) {
    cfg.fail("attn_layer_offset", llvm::Twine(attnOffset) +
                                      " must be less than attn_layer_period (" +
                                      llvm::Twine(attnPeriod) + ")");
    return false;
  }
  if (expertOffset >= expertPeriod) {
    cfg.fail("expert_layer_offset", llvm::Twine(expertOffset) +
                                        " must be less than expert_layer_period (" +
                                        llvm::Twine(expertPeriod) + ")");
    return false;
  }
  std::vector<bool> isAttention(layers), isMoe(layers);
  for (int64_t i = 0; i < layers; ++i) {
    isAttention[i] = i % attnPeriod == attnOffset;
    isMoe[i] = experts > 1 && i % expertPeriod == expertOffset;
  }

  Mamba1Spec m;
  if (llvm::is_contained(isAttention, false)) {
    m.stateSize = cfg.getInt("mamba_d_state", 16, 1);
    m.convKernel = cfg.getInt("mamba_d_conv", 4, 2);
    m.inner = cfg.getInt("mamba_expand", 2, 1) * spec.hidden;
    m.dtRank = readDtRank(cfg, "mamba_dt_rank", spec.hidden);
    m.convBias = cfg.getBool("mamba_conv_bias", true);
    m.innerNorms = true;
  }
  AttentionSpec attn;
  if (llvm::is_contained(isAttention, true)) {
    attn.heads = cfg.getPositive("num_attention_heads");
    attn.kvHeads = cfg.getPositive("num_key_value_heads");
    if (cfg.failed())
      return false;
    if (attn.heads % attn.kvHeads || spec.hidden % attn.heads) {
      cfg.fail("num_attention_heads",
               llvm::Twine(attn.heads) + " must divide hidden_size (" +
                   llvm::Twine(spec.hidden) +
                   ") and be a multiple of num_key_value_heads (" +
                   llvm::Twine(attn.kvHeads) + ")");
      return false;
    }
    attn.headDim = spec.hidden / attn.heads;
    attn.scale = 1.0 / std::sqrt(double(attn.headDim));
  }
  MlpSpec dense, moe;
  dense.kind = MlpSpec::Kind::Dense;
  dense.intermediate = cfg.getPositive("intermediate_size");
  if (llvm::is_contained(isMoe, true)) {
    moe.kind = MlpSpec::Kind::QwenMoe;
    moe.experts = experts;
    moe.topK = cfg.getPositive("num_experts_per_tok");
    moe.expertIntermediate = dense.intermediate;
    moe.normTopK = false;
    moe.routerName = "router.weight";
    if (!cfg.failed() && moe.topK > experts)
      cfg.fail("num_experts_per_tok", llvm::Twine(moe.topK) +
                                          " is more than num_experts (" +
                                          llvm::Twine(experts) + ")");
  }
  if (cfg.failed())
    return false;

  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.prefix = "model.layers." + S(i) + ".";
    if (isAttention[i]) {
      l.mixer = LayerSpec::Mixer::Attention;
      l.mixerName = "self_attn";
      l.attention = attn;
    } else {
      l.mixer = LayerSpec::Mixer::Mamba1;
      l.mixerName = "mamba";
      l.mamba1 = m;
    }
    l.mlp = isMoe[i] ? moe : dense;
    l.mlpName = "feed_forward";
    l.postNorm = "pre_ff_layernorm.weight";
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "rms_norm_eps"));
  d.push_back("layers (M = Mamba-1, A = attention; attention where i % " +
              S(attnPeriod) + " == " + S(attnOffset) + "): " +
              patternLine(spec));
  std::string moePattern;
  for (bool b : isMoe)
    moePattern += b ? 'E' : 'D';
  d.push_back("MLPs (E = MoE, D = dense; MoE where i % " + S(expertPeriod) +
              " == " + S(expertOffset) + "): " + moePattern);
  if (llvm::is_contained(isAttention, false))
    d.push_back("Mamba-1: d_inner " + S(m.inner) + ", d_state " +
                S(m.stateSize) + ", dt_rank " + S(m.dtRank) + ", conv kernel " +
                S(m.convKernel) + ", dt/B/C RMS-normed");
  if (llvm::is_contained(isAttention, true))
    d.push_back("attention: " + S(attn.heads) + " heads, " + S(attn.kvHeads) +
                " kv heads, head_dim " + S(attn.headDim) +
                ", no positional encoding");
  d.push_back("MLP: " + mlpLine(dense) +
              (moe.kind != MlpSpec::Kind::None ? "; " + mlpLine(moe) : ""));
  return true;
}

bool readMamba(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "Mamba (mamba)";
  int64_t layers =
      readBasics(cfg, spec, "layer_norm_epsilon", 1e-5, /*tied=*/true);
  Mamba1Spec m;
  m.stateSize = cfg.getInt("state_size", 16, 1);
  m.convKernel = cfg.getInt("conv_kernel", 4, 2);
  m.inner = cfg.getInt("expand", 2, 1) * spec.hidden;
  m.dtRank = readDtRank(cfg, "time_step_rank", spec.hidden);
  m.convBias = cfg.getBool("use_conv_bias", true);
  cfg.requireBool("use_bias", false, "no bias in in_proj / out_proj");
  requireSilu(cfg, "hidden_act");
  int64_t inter = cfg.getInt("intermediate_size", m.inner, 1);
  if (cfg.failed())
    return false;
  if (inter != m.inner) {
    cfg.fail("intermediate_size", llvm::Twine(inter) +
                                      " must equal expand × hidden_size = " +
                                      llvm::Twine(m.inner));
    return false;
  }
  spec.normKind = NormKind::Plain;
  spec.embedName = "backbone.embeddings.weight";
  spec.finalNormName = "backbone.norm_f.weight";
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.mixer = LayerSpec::Mixer::Mamba1;
    l.prefix = "backbone.layers." + S(i) + ".";
    l.inputNorm = "norm.weight";
    l.mixerName = "mixer";
    l.mamba1 = m;
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "layer_norm_epsilon"));
  d.push_back("Mamba-1: d_inner " + S(m.inner) + ", state_size " +
              S(m.stateSize) + ", time_step_rank " + S(m.dtRank) +
              ", conv kernel " + S(m.convKernel) +
              (m.convBias ? " (with bias)" : ""));
  d.push_back("Block: h += mixer(rmsnorm(h)); no MLP.");
  return true;
}

//===----------------------------------------------------------------------===//
// RecurrentGemma (HF RecurrentGemmaConfig)
//===----------------------------------------------------------------------===//

/// x rounded to bfloat16 (round to nearest even): RecurrentGemma multiplies
/// the embeddings by sqrt(hidden_size) held as a bfloat16.
double roundToBf16(double x) {
  float f = static_cast<float>(x);
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  u += 0x7fff + ((u >> 16) & 1);
  u &= 0xffff0000u;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

bool readRecurrentGemma(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "RecurrentGemma (recurrent_gemma)";
  int64_t layers = readBasics(cfg, spec, "rms_norm_eps", 1e-6, /*tied=*/true);
  spec.normKind = NormKind::ZeroCentred;
  spec.finalNormName = "model.final_norm.weight";
  // HF's RecurrentGemmaModel always scales the embeddings.
  cfg.requireBool("embeddings_scale_by_sqrt_dim", true,
                  "the embeddings are always scaled by sqrt(hidden_size)");
  spec.embeddingMultiplier = roundToBf16(std::sqrt(double(spec.hidden)));
  spec.logitsSoftcap = cfg.getNumber("logits_soft_cap", 30.0);
  cfg.requireBool("attention_bias", false, "no bias in q/k/v_proj");
  std::string act = cfg.getString("hidden_activation", "gelu_pytorch_tanh");
  if (!cfg.failed() && act != "gelu_pytorch_tanh")
    cfg.fail("hidden_activation",
             "'" + act + "' is not supported (only 'gelu_pytorch_tanh')");
  std::optional<std::vector<std::string>> blocks =
      cfg.getStringList("block_types");
  if (cfg.failed())
    return false;
  if (!blocks)
    blocks = std::vector<std::string>{"recurrent", "recurrent", "attention"};
  if (blocks->empty()) {
    cfg.fail("block_types", "must not be empty");
    return false;
  }
  for (auto [i, b] : llvm::enumerate(*blocks))
    if (b != "recurrent" && b != "attention") {
      cfg.fail("block_types", "element " + llvm::Twine(i) +
                                  ": unknown block type '" + b +
                                  "' (expected 'recurrent' or 'attention')");
      return false;
    }

  AttentionSpec attn;
  attn.heads = cfg.getPositive("num_attention_heads");
  attn.kvHeads = cfg.getInt("num_key_value_heads", attn.heads, 1);
  if (cfg.failed())
    return false;
  if (spec.hidden % attn.heads || attn.heads % attn.kvHeads) {
    cfg.fail("num_attention_heads",
             llvm::Twine(attn.heads) + " must divide hidden_size (" +
                 llvm::Twine(spec.hidden) +
                 ") and be a multiple of num_key_value_heads (" +
                 llvm::Twine(attn.kvHeads) + ")");
    return false;
  }
  attn.headDim = spec.hidden / attn.heads;
  attn.scale = 1.0 / std::sqrt(double(attn.headDim));
  attn.window = cfg.getInt("attention_window_size", 2048, 1);
  attn.ropeTheta = cfg.getNumber("rope_theta", 10000.0);
  double partial = cfg.getNumber("partial_rotary_factor", 0.5);
  attn.outputBias = true;
  if (cfg.failed())
    return false;
  // The range check comes before the conversion: an infinite or NaN factor
  // would make it undefined behaviour.
  bool inRange = partial > 0.0 && partial <= 1.0;
  attn.rotaryDim = inRange ? static_cast<int64_t>(attn.headDim * partial) : 0;
  if (!inRange || attn.rotaryDim < 2 || attn.rotaryDim % 2) {
    cfg.fail("partial_rotary_factor",
             "head_dim " + llvm::Twine(attn.headDim) + " × " +
                 llvm::Twine(G(partial)) +
                 " must give an even number >= 2 of rotary dims");
    return false;
  }

  RgLruSpec rg;
  rg.width = cfg.getInt("lru_width", spec.hidden, 1);
  rg.blocks = attn.heads;
  rg.convKernel = cfg.getInt("conv1d_width", 4, 2);
  if (cfg.failed())
    return false;
  if (rg.width % rg.blocks) {
    cfg.fail("lru_width", llvm::Twine(rg.width) +
                              " is not a multiple of num_attention_heads (" +
                              llvm::Twine(rg.blocks) + ")");
    return false;
  }
  MlpSpec mlp;
  mlp.kind = MlpSpec::Kind::Dense;
  int64_t inter = cfg.getPositive("intermediate_size");
  if (cfg.failed())
    return false;
  if (inter % 2) {
    cfg.fail("intermediate_size",
             llvm::Twine(inter) + " is odd (the MLP width is half of it)");
    return false;
  }
  mlp.intermediate = inter / 2;
  mlp.geluTanh = true;
  mlp.bias = true;

  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.prefix = "model.layers." + S(i) + ".";
    l.inputNorm = "temporal_pre_norm.weight";
    l.postNorm = "channel_pre_norm.weight";
    l.mixerName = "temporal_block";
    l.mlpName = "mlp_block";
    if ((*blocks)[i % blocks->size()] == "attention") {
      l.mixer = LayerSpec::Mixer::Attention;
      l.attention = attn;
    } else {
      l.mixer = LayerSpec::Mixer::RgLru;
      l.rglru = rg;
    }
    l.mlp = mlp;
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "rms_norm_eps"));
  d.push_back("layers (R = recurrent RG-LRU block, A = local attention): " +
              patternLine(spec));
  d.push_back("RG-LRU: width " + S(rg.width) + " in " + S(rg.blocks) +
              " gate blocks, conv width " + S(rg.convKernel));
  d.push_back("local attention: " + S(attn.heads) + " heads, " +
              S(attn.kvHeads) + " kv heads, head_dim " + S(attn.headDim) +
              ", window " + S(attn.window) + ", RoPE on " +
              S(attn.rotaryDim) + " dims, theta " + G(attn.ropeTheta));
  d.push_back("MLP: gelu_tanh(gate) · up, width " + S(mlp.intermediate) +
              ", with biases");
  d.push_back("embeddings × " + G(spec.embeddingMultiplier) +
              " (sqrt(hidden_size) in bfloat16); logits soft cap " +
              G(spec.logitsSoftcap) + "; norms x/rms(x)·(1+w)");
  return true;
}

//===----------------------------------------------------------------------===//
// xLSTM (HF xLSTMConfig; NX-AI/xLSTM-7b)
//===----------------------------------------------------------------------===//

/// Records `<file>: field '<field>': <path>: <sub's message>` for a problem
/// found by the reader of a nested object.
bool failNested(ConfigReader &cfg, llvm::StringRef field, llvm::StringRef path,
                const ConfigReader &sub) {
  llvm::StringRef message = llvm::StringRef(sub.getMessage()).drop_front(2);
  if (path.empty())
    cfg.fail(field, message);
  else
    cfg.fail(field, path + ": " + message);
  return false;
}

/// The sLSTM blocks of an xLSTM config, with the field names of NX-AI
/// xlstm's xLSTMBlockStackConfig: `slstm_at` (block indices from 0, or
/// "all") and `slstm_block` (sLSTMBlockConfig: `slstm`, an sLSTMLayerConfig,
/// and `feedforward`, a FeedForwardConfig or null). Fills `isSLstm` per block
/// and `layer` with everything but the prefix.
bool readSLstmBlocks(ConfigReader &cfg, int64_t hidden, int64_t layers,
                     std::vector<bool> &isSLstm, LayerSpec &layer) {
  isSLstm.assign(layers, false);
  if (cfg.isString("slstm_at")) {
    std::string all = cfg.getString("slstm_at");
    if (all != "all") {
      cfg.fail("slstm_at", "expected a list of block indices or \"all\", got "
                           "the string \"" +
                               all + "\"");
      return false;
    }
    isSLstm.assign(layers, true);
  } else {
    for (int64_t i : cfg.getIntList("slstm_at")) {
      if (i < 0 || i >= layers) {
        cfg.fail("slstm_at", "block " + llvm::Twine(i) +
                                 " is out of range [0, " + llvm::Twine(layers) +
                                 ") (num_blocks = " + llvm::Twine(layers) +
                                 "; indices start at 0)");
        return false;
      }
      isSLstm[i] = true;
    }
  }
  const llvm::json::Object *block = cfg.getObject("slstm_block");
  if (cfg.failed())
    return false;
  if (!llvm::is_contained(isSLstm, true))
    return true;
  if (!block) {
    cfg.fail("slstm_block", "missing (slstm_at lists sLSTM blocks; an object "
                            "with `slstm` and `feedforward` is required)");
    return false;
  }
  ConfigReader b(*block, "");
  const llvm::json::Object *cell = b.getObject("slstm");
  bool noFfn = b.has("feedforward") && !b.hasValue("feedforward");
  const llvm::json::Object *ffn = b.getObject("feedforward");
  if (b.failed())
    return failNested(cfg, "slstm_block", "", b);

  SLstmSpec sl;
  llvm::json::Object emptyObject;
  ConfigReader c(cell ? *cell : emptyObject, "");
  sl.heads = c.getInt("num_heads", 4, 1);
  sl.convKernel = c.getInt("conv1d_kernel_size", 4, 0);
  std::string backend = c.getString("backend", "cuda");
  c.requireString("function", "slstm");
  c.requireBool("group_norm_weight", true,
                "the group norm's weight is implemented");
  c.requireNull("forward_clipval", "clipping h is not implemented");
  c.requireNull("gradient_recurrent_clipval",
                "it also clips h in the library's kernel");
  if (!c.failed() && backend != "cuda" && backend != "vanilla")
    c.fail("backend", "'" + backend +
                          "' is not supported (the checkpoint "
                          "layouts of 'cuda' and 'vanilla' are)");
  if (!c.failed() && hidden % sl.heads)
    c.fail("num_heads", llvm::Twine(sl.heads) +
                            " does not divide embedding_dim (" +
                            llvm::Twine(hidden) + ")");
  if (!c.failed() && sl.convKernel == 1)
    c.fail("conv1d_kernel_size", "1 is not supported (the library's causal "
                                 "conv drops its whole output for K = 1; use 0 "
                                 "for no conv)");
  if (c.failed())
    return failNested(cfg, "slstm_block", "slstm", c);
  sl.headDim = hidden / sl.heads;
  sl.vanillaLayout = backend == "vanilla";

  MlpSpec mlp;
  if (!noFfn) {
    ConfigReader f(ffn ? *ffn : emptyObject, "");
    double factor = f.getNumber("proj_factor", 1.3);
    std::string act = f.getString("act_fn", "gelu");
    f.requireBool("bias", false, "no bias in the projections");
    f.requireString("ff_type", "ffn_gated");
    bool roundUp = f.getBool("round_proj_up_dim_up", true);
    int64_t multiple = f.getInt("round_proj_up_to_multiple_of", 64, 1);
    if (!f.failed() && act != "gelu" && act != "swish")
      f.fail("act_fn",
             "'" + act + "' is not supported (only 'gelu' and 'swish')");
    if (!f.failed() && !(factor > 0.0))
      f.fail("proj_factor", "must be positive");
    // UpProjConfigMixin: ceil (or floor) of factor · D / multiple, × multiple.
    double units = factor * hidden / multiple;
    double rounded =
        (roundUp ? std::ceil(units) : std::floor(units)) * multiple;
    int64_t width = 0;
    if (!f.failed() && !(rounded >= 1.0 && rounded < 2147483648.0))
      f.fail("proj_factor", "the up-projection width rounds to " + G(rounded) +
                                " (not in [1, 2^31))");
    else
      width = static_cast<int64_t>(rounded);
    if (f.failed())
      return failNested(cfg, "slstm_block", "feedforward", f);
    mlp.kind = MlpSpec::Kind::GatedFfn;
    mlp.intermediate = width;
    mlp.geluErf = act == "gelu";
  }
  layer.mixer = LayerSpec::Mixer::SLstm;
  layer.slstm = sl;
  layer.mlp = mlp;
  layer.inputNorm = "xlstm_norm.weight";
  layer.mixerName = "xlstm";
  layer.postNorm = "ffn_norm.weight";
  layer.mlpName = "ffn";
  layer.layerNormZeroCentred = true;
  return true;
}

bool readXLstm(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "xLSTM (xlstm)";
  spec.vocab = cfg.getPositive("vocab_size");
  // hidden_size / embedding_dim and num_hidden_layers / num_blocks are
  // aliases (HF fills one from the other).
  spec.hidden = cfg.hasValue("hidden_size") ? cfg.getPositive("hidden_size")
                                            : cfg.getPositive("embedding_dim");
  int64_t layers = cfg.hasValue("num_hidden_layers")
                       ? cfg.getPositive("num_hidden_layers")
                       : cfg.getPositive("num_blocks");
  spec.eps = cfg.getNumber("norm_eps", 1e-6);
  spec.normKind = NormKind::Plain;
  spec.embedName = "backbone.embeddings.weight";
  spec.finalNormName = "backbone.out_norm.weight";
  if (cfg.getBool("tie_word_embeddings", false))
    spec.lmHeadName.clear();
  spec.logitsSoftcap = cfg.getNumber("output_logit_soft_cap", 30.0);
  cfg.requireBool("use_bias", false, "no bias in the projections and norms");
  cfg.requireBool("add_out_norm", true, "the output norm is implemented");
  cfg.requireString("weight_mode", "single");
  MLstmSpec m;
  m.heads = cfg.getInt("num_heads", 8, 1);
  m.gateSoftCap = cfg.getNumber("gate_soft_cap", 15.0);
  m.eps = cfg.getNumber("eps", 1e-6);
  double qkf = cfg.getNumber("qk_dim_factor", 0.5);
  double vf = cfg.getNumber("v_dim_factor", 1.0);
  double ffnFactor = cfg.getNumber("ffn_proj_factor", 2.667);
  int64_t ffnMultiple = cfg.getInt("ffn_round_up_to_multiple_of", 64, 1);
  if (cfg.failed())
    return false;
  if (!(m.gateSoftCap > 0.0) || !(spec.logitsSoftcap > 0.0)) {
    cfg.fail(m.gateSoftCap > 0.0 ? "output_logit_soft_cap" : "gate_soft_cap",
             "must be positive");
    return false;
  }
  // hidden · factor as a dimension, or a diagnostic: an infinite or huge
  // factor must not reach the integer conversion (undefined behaviour).
  auto scaled = [&](llvm::StringRef field, double factor,
                    double &product) -> bool {
    product = spec.hidden * factor;
    if (std::isfinite(product) && product < 2147483648.0)
      return true;
    cfg.fail(field, "hidden_size × " + field + " = " +
                        llvm::Twine(G(product)) + " is not a usable dimension");
    return false;
  };
  double qkRaw, vdRaw, raw;
  if (!scaled("qk_dim_factor", qkf, qkRaw) ||
      !scaled("v_dim_factor", vf, vdRaw) ||
      !scaled("ffn_proj_factor", ffnFactor, raw))
    return false;
  // xLSTMLayer: qk_dim = int(hidden · qk_dim_factor), v_dim likewise.
  int64_t qk = static_cast<int64_t>(qkRaw);
  int64_t vd = static_cast<int64_t>(vdRaw);
  if (qk <= 0 || qk % m.heads) {
    cfg.fail("qk_dim_factor", "hidden_size × qk_dim_factor = " +
                                  llvm::Twine(qk) +
                                  " must be a positive multiple of num_heads (" +
                                  llvm::Twine(m.heads) + ")");
    return false;
  }
  if (vd <= 0 || vd % m.heads) {
    cfg.fail("v_dim_factor", "hidden_size × v_dim_factor = " + llvm::Twine(vd) +
                                 " must be a positive multiple of num_heads (" +
                                 llvm::Twine(m.heads) + ")");
    return false;
  }
  m.qkHeadDim = qk / m.heads;
  m.vHeadDim = vd / m.heads;
  if (!(ffnFactor > 0.0)) {
    cfg.fail("ffn_proj_factor", "must be positive");
    return false;
  }
  // round_up_to_next_multiple_of(hidden · ffn_proj_factor, multiple).
  MlpSpec mlp;
  mlp.kind = MlpSpec::Kind::Dense;
  double rounded =
      std::floor((raw + ffnMultiple - 1) / ffnMultiple) * ffnMultiple;
  if (!(rounded < 2147483648.0)) {
    cfg.fail("ffn_round_up_to_multiple_of",
             "the feed-forward width rounds to " + llvm::Twine(G(rounded)) +
                 " (not below 2^31)");
    return false;
  }
  mlp.intermediate = static_cast<int64_t>(rounded);
  mlp.gateName = "proj_up_gate";
  mlp.upName = "proj_up";
  mlp.downName = "proj_down";
  std::vector<bool> isSLstm;
  LayerSpec sLayer;
  if (!readSLstmBlocks(cfg, spec.hidden, layers, isSLstm, sLayer))
    return false;
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l = isSLstm[i] ? sLayer : LayerSpec();
    l.prefix = "backbone.blocks." + S(i) + ".";
    if (!isSLstm[i]) {
      l.mixer = LayerSpec::Mixer::MLstm;
      l.inputNorm = "norm_mlstm.weight";
      l.mixerName = "mlstm_layer";
      l.mlstm = m;
      l.mlp = mlp;
      l.postNorm = "norm_ffn.weight";
      l.mlpName = "ffn";
    }
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back("vocab_size " + S(spec.vocab) + ", hidden_size " +
              S(spec.hidden) + ", num_blocks " + S(layers) + ", norm_eps " +
              G(spec.eps) + ", tie_word_embeddings " +
              (spec.lmHeadName.empty() ? "true" : "false"));
  d.push_back("mLSTM: " + S(m.heads) + " heads, q/k head dim " +
              S(m.qkHeadDim) + ", v head dim " + S(m.vHeadDim) +
              ", gate soft cap " + G(m.gateSoftCap) + ", eps " + G(m.eps));
  d.push_back("FFN: silu(proj_up_gate x) · proj_up x → proj_down, width " +
              S(mlp.intermediate));
  if (llvm::is_contained(isSLstm, true)) {
    const SLstmSpec &sl = sLayer.slstm;
    std::string at;
    for (auto [i, b] : llvm::enumerate(isSLstm))
      if (b)
        at += (at.empty() ? "" : ", ") + S(i);
    d.push_back("sLSTM blocks at [" + at + "] (slstm_at; pattern " +
                patternLine(spec) + "): " + S(sl.heads) + " heads of " +
                S(sl.headDim) + ", conv1d_kernel_size " + S(sl.convKernel) +
                ", " + (sl.vanillaLayout ? "vanilla" : "cuda") +
                " backend layout of the recurrent kernel and bias");
    d.push_back("sLSTM block FFN: " +
                (sLayer.mlp.kind == MlpSpec::Kind::None
                     ? std::string("none")
                     : "proj_down(" +
                           std::string(sLayer.mlp.geluErf ? "gelu" : "swish") +
                           "(gate) · up), [gate | up] = proj_up x, width " +
                           S(sLayer.mlp.intermediate)) +
                "; block norms LayerNorm · (1 + w), eps 1e-5");
  }
  d.push_back("logits soft cap " + G(spec.logitsSoftcap) +
              "; states per block: C [H, dqk, dv], n [H, dqk], m [H]" +
              (llvm::is_contained(isSLstm, true)
                   ? std::string("; per sLSTM block: conv [K-1, D], h, c, n, "
                                 "m [H, DH]")
                   : std::string()));
  return true;
}

//===----------------------------------------------------------------------===//
// OLMo Hybrid (HF OlmoHybridConfig)
//===----------------------------------------------------------------------===//

bool readOlmoHybrid(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "OLMo Hybrid (olmo_hybrid)";
  int64_t layers = readBasics(cfg, spec, "rms_norm_eps", 1e-6);
  spec.normKind = NormKind::Plain;
  requireSilu(cfg, "hidden_act");
  cfg.requireBool("attention_bias", false, "no bias in the projections");
  cfg.requireBool("mlp_bias", false, "no bias in the MLP");
  cfg.requireNull("rope_scaling", "RoPE scaling is not implemented");
  AttentionSpec attn;
  attn.heads = cfg.getPositive("num_attention_heads");
  attn.kvHeads = cfg.getInt("num_key_value_heads", attn.heads, 1);
  MlpSpec mlp;
  mlp.kind = MlpSpec::Kind::Dense;
  mlp.intermediate = cfg.getPositive("intermediate_size");
  if (cfg.failed())
    return false;
  if (spec.hidden % attn.heads || attn.heads % attn.kvHeads) {
    cfg.fail("num_attention_heads",
             llvm::Twine(attn.heads) + " must divide hidden_size (" +
                 llvm::Twine(spec.hidden) +
                 ") and be a multiple of num_key_value_heads (" +
                 llvm::Twine(attn.kvHeads) + ")");
    return false;
  }
  attn.headDim = spec.hidden / attn.heads;
  attn.scale = 1.0 / std::sqrt(double(attn.headDim));
  attn.qkNormFull = true;
  // RoPE only when rope_parameters (or a top-level rope_theta) gives a
  // theta; the released checkpoints have none (NoPE).
  double theta = cfg.hasValue("rope_parameters")
                     ? 0.0
                     : cfg.getNumber("rope_theta", 0.0);
  if (!readRopeParameters(cfg, theta))
    return false;
  if (cfg.failed())
    return false;
  if (theta < 0.0) {
    cfg.fail("rope_theta", "must be positive");
    return false;
  }
  if (theta > 0.0) {
    attn.rotaryDim = attn.headDim;
    attn.ropeTheta = theta;
  }

  // Layer pattern: layer_types, else full attention at i % 4 == 3 (the last
  // layer when none is).
  std::vector<bool> isAttention(layers, false);
  if (std::optional<std::vector<bool>> types =
          readAttentionLayerTypes(cfg, layers)) {
    isAttention = *types;
  } else if (!cfg.failed()) {
    for (int64_t i = 0; i < layers; ++i)
      isAttention[i] = i % 4 == 3;
    if (!llvm::is_contained(isAttention, true))
      isAttention.back() = true;
  }
  if (cfg.failed())
    return false;
  if (!llvm::is_contained(isAttention, false) ||
      !llvm::is_contained(isAttention, true)) {
    cfg.fail("layer_types", "OLMo Hybrid needs both 'linear_attention' and "
                            "'full_attention' layers");
    return false;
  }

  GatedDeltaNetSpec gdn;
  gdn.keyHeads = cfg.getInt("linear_num_key_heads", attn.heads, 1);
  gdn.valueHeads = cfg.getInt("linear_num_value_heads", attn.heads, 1);
  if (cfg.failed())
    return false;
  gdn.keyDim = cfg.getInt("linear_key_head_dim",
                          static_cast<int64_t>(0.75 * spec.hidden / gdn.keyHeads),
                          1);
  gdn.valueDim = cfg.getInt("linear_value_head_dim", 2 * gdn.keyDim, 1);
  gdn.convKernel = cfg.getInt("linear_conv_kernel_dim", 4, 2);
  gdn.separateProjections = true;
  gdn.betaScale = cfg.getBool("linear_allow_neg_eigval", true) ? 2.0 : 1.0;
  gdn.normEps = 1e-5; // fla's FusedRMSNormGated default, as HF's o_norm
  if (cfg.failed())
    return false;
  if (gdn.keyDim <= 0) {
    cfg.fail("linear_key_head_dim", "must be positive");
    return false;
  }
  if (!requireMultiple(cfg, "linear_num_value_heads", gdn.valueHeads, "linear_num_key_heads", gdn.keyHeads))
    return false;

  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.prefix = "model.layers." + S(i) + ".";
    if (isAttention[i]) {
      l.mixer = LayerSpec::Mixer::Attention;
      l.mixerName = "self_attn";
      l.attention = attn;
      l.postNormBlock = true;
    } else {
      l.mixer = LayerSpec::Mixer::GatedDeltaNet;
      l.mixerName = "linear_attn";
      l.gdn = gdn;
    }
    l.mlp = mlp;
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "rms_norm_eps"));
  d.push_back("layers (G = Gated DeltaNet, pre-norm; A = attention, OLMo-3 "
              "post-norm): " + patternLine(spec));
  d.push_back("Gated DeltaNet: " + S(gdn.keyHeads) + " q/k heads × " +
              S(gdn.keyDim) + ", " + S(gdn.valueHeads) + " value heads × " +
              S(gdn.valueDim) + ", conv kernel " + S(gdn.convKernel) +
              ", beta × " + G(gdn.betaScale) +
              ", separate q/k/v/a/b/g projections, o_norm eps 1e-05");
  d.push_back("attention: " + S(attn.heads) + " heads, " + S(attn.kvHeads) +
              " kv heads, head_dim " + S(attn.headDim) +
              ", q_norm / k_norm over all heads, " +
              (attn.rotaryDim ? "RoPE theta " + G(attn.ropeTheta)
                              : std::string("no positional encoding (NoPE)")));
  d.push_back("MLP: " + mlpLine(mlp));
  return true;
}

//===----------------------------------------------------------------------===//
// RWKV-7 (fla's RWKV7Config, the fla-hub/rwkv7-* checkpoints)
//===----------------------------------------------------------------------===//

/// fla's default LoRA rank: max(32, round(c · √hidden · factor / 32) · 32)
/// (Python's round: half to even).
int64_t rwkvRank(double c, int64_t hidden, double factor) {
  double x = std::nearbyint(c * std::sqrt(double(hidden)) * factor / 32.0) * 32.0;
  return std::max<int64_t>(32, static_cast<int64_t>(x));
}

bool readRwkv7(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "RWKV-7 (rwkv7)";
  int64_t layers = readBasics(cfg, spec, "norm_eps", 1e-5);
  spec.normKind = NormKind::LayerNormAffine;
  spec.embedName = "model.embeddings.weight";
  std::string act = cfg.getString("hidden_act", "sqrelu");
  if (!cfg.failed() && act != "sqrelu")
    cfg.fail("hidden_act", "'" + act + "' is not supported (only 'sqrelu')");
  cfg.requireBool("norm_bias", true, "the LayerNorms have biases");
  cfg.requireNull("attn", "hybrid attention layers are not implemented");
  bool normFirst = cfg.getBool("norm_first", true);
  if (cfg.failed())
    return false;
  Rwkv7Spec r;
  // head_dim wins over num_heads (fla's RWKV7Attention).
  if (cfg.hasValue("head_dim")) {
    r.keyDim = cfg.getPositive("head_dim");
    if (cfg.failed())
      return false;
    if (spec.hidden % r.keyDim) {
      cfg.fail("head_dim", llvm::Twine(r.keyDim) + " does not divide hidden_size (" +
                               llvm::Twine(spec.hidden) + ")");
      return false;
    }
    r.heads = spec.hidden / r.keyDim;
  } else {
    r.heads = cfg.getPositive("num_heads");
    if (cfg.failed())
      return false;
    if (spec.hidden % r.heads) {
      cfg.fail("num_heads", llvm::Twine(r.heads) + " does not divide hidden_size (" +
                                llvm::Twine(spec.hidden) + ")");
      return false;
    }
    r.keyDim = spec.hidden / r.heads;
  }
  double factor = r.keyDim / 64.0;
  r.decayRank = cfg.getInt("decay_low_rank_dim", rwkvRank(2.5, spec.hidden, factor), 1);
  r.gateRank = cfg.getInt("gate_low_rank_dim", rwkvRank(5.0, spec.hidden, 1.0), 1);
  r.aRank = cfg.getInt("a_low_rank_dim", rwkvRank(2.5, spec.hidden, factor), 1);
  r.vRank = cfg.getInt("v_low_rank_dim", rwkvRank(1.7, spec.hidden, factor), 1);
  r.normEps = spec.eps;
  double ratio = cfg.getNumber("hidden_ratio", 4.0);
  // The range check comes before the conversion (inf would be undefined).
  if (!cfg.failed() && !(spec.hidden * ratio >= 1.0 &&
                         spec.hidden * ratio < 2147483648.0)) {
    cfg.fail("hidden_ratio", "hidden_size × hidden_ratio = " +
                                 llvm::Twine(G(spec.hidden * ratio)) +
                                 " is not a usable dimension");
    return false;
  }
  int64_t inter = static_cast<int64_t>(spec.hidden * ratio);
  inter = 32 * ((inter + 31) / 32);
  r.intermediate = cfg.getInt("intermediate_size", inter, 1);
  // value_dim: null (hidden_size), an integer, or one per layer.
  std::vector<int64_t> valueDims(layers, spec.hidden);
  if (cfg.isArray("value_dim")) {
    std::vector<int64_t> list = cfg.getIntList("value_dim");
    if (cfg.failed())
      return false;
    if ((int64_t)list.size() != layers) {
      cfg.fail("value_dim", "has " + llvm::Twine(list.size()) +
                                " entries but num_hidden_layers is " +
                                llvm::Twine(layers));
      return false;
    }
    valueDims = list;
  } else if (cfg.hasValue("value_dim")) {
    valueDims.assign(layers, cfg.getPositive("value_dim"));
  }
  for (int64_t v : valueDims)
    if (v <= 0 || v % r.heads) {
      cfg.fail("value_dim", llvm::Twine(v) +
                                " is not a positive multiple of the number of "
                                "heads (" + llvm::Twine(r.heads) + ")");
      return false;
    }
  if (cfg.failed())
    return false;
  if (r.intermediate <= 0 || r.decayRank <= 0) {
    cfg.fail("intermediate_size", "must be positive");
    return false;
  }
  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.mixer = LayerSpec::Mixer::Rwkv7;
    l.prefix = "model.layers." + S(i) + ".";
    l.rwkv7 = r;
    l.rwkv7.valueDim = valueDims[i];
    l.rwkv7.first = i == 0;
    l.rwkv7.preNorm = i == 0 && normFirst;
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "norm_eps"));
  d.push_back("RWKV-7: " + S(r.heads) + " heads × " + S(r.keyDim) +
              ", LoRA ranks decay " + S(r.decayRank) + ", a " + S(r.aRank) +
              ", v " + S(r.vRank) + ", gate " + S(r.gateRank) +
              "; channel mix width " + S(r.intermediate));
  d.push_back("Blocks: LayerNorms with bias" +
              std::string(normFirst ? " (block 0 pre_norm)" : "") +
              "; three states per block: time-mix shift, the state S, "
              "channel-mix shift; v_first flows from block 0 to the others.");
  return true;
}

//===----------------------------------------------------------------------===//
// Kimi Linear (moonshotai/Kimi-Linear-48B-A3B config.json; the semantics
// and tensor names of the checkpoint's loaders)
//===----------------------------------------------------------------------===//

/// The first of `names` present in `cfg` (checkpoints and HF use aliases).
std::string firstPresent(ConfigReader &cfg,
                         std::initializer_list<const char *> names) {
  for (const char *n : names)
    if (cfg.hasValue(n))
      return n;
  return *names.begin();
}

bool readKimiLinear(ConfigReader &cfg, ModelSpec &spec) {
  spec.title = "Kimi Linear (kimi_linear)";
  int64_t layers = readBasics(cfg, spec, "rms_norm_eps", 1e-5);
  spec.normKind = NormKind::Plain;
  requireSilu(cfg, "hidden_act");
  cfg.requireNull("q_lora_rank", "only q_proj (no q LoRA) is implemented");
  cfg.requireBool("mla_use_nope", true, "RoPE in MLA is not implemented");
  if (cfg.failed())
    return false;

  // linear_attn_config: 1-indexed kda_layers / full_attn_layers, the KDA
  // heads, head dim and short-conv size.
  const llvm::json::Object *lin = cfg.getObject("linear_attn_config");
  if (cfg.failed())
    return false;
  if (!lin) {
    cfg.fail("linear_attn_config", "missing (an object with kda_layers, "
                                   "full_attn_layers, num_heads, head_dim, "
                                   "short_conv_kernel_size is required)");
    return false;
  }
  ConfigReader sub(*lin, "");
  KdaSpec kda;
  kda.heads = sub.getPositive("num_heads");
  kda.headDim = sub.getPositive("head_dim");
  kda.convKernel = sub.getInt("short_conv_kernel_size", 4, 2);
  std::vector<int64_t> kdaLayers = sub.getIntList("kda_layers");
  std::vector<int64_t> fullLayers = sub.getIntList("full_attn_layers");
  if (sub.failed()) {
    cfg.fail("linear_attn_config", llvm::StringRef(sub.getMessage())
                                       .drop_front(2)); // drop ": "
    return false;
  }
  std::vector<int> kind(layers, 0); // 1: KDA, 2: MLA
  auto mark = [&](const std::vector<int64_t> &list, int k) {
    for (int64_t l : list) {
      if (l < 1 || l > layers) {
        cfg.fail("linear_attn_config",
                 "layer " + llvm::Twine(l) + " is out of range [1, " +
                     llvm::Twine(layers) + "] (layers are 1-indexed)");
        return false;
      }
      kind[l - 1] = k;
    }
    return true;
  };
  if (!mark(kdaLayers, 1) || !mark(fullLayers, 2))
    return false;
  for (auto [i, k] : llvm::enumerate(kind))
    if (!k) {
      cfg.fail("linear_attn_config", "layer " + llvm::Twine(i + 1) +
                                         " is in neither kda_layers nor "
                                         "full_attn_layers");
      return false;
    }

  AttentionSpec mla;
  if (!fullLayers.empty()) {
    mla.mla = true;
    mla.heads = mla.kvHeads = cfg.getPositive("num_attention_heads");
    mla.kvLoraRank = cfg.getPositive("kv_lora_rank");
    mla.nopeDim = cfg.getPositive("qk_nope_head_dim");
    mla.ropeDim = cfg.getInt("qk_rope_head_dim", 0, 0);
    mla.valueDim = cfg.getPositive("v_head_dim");
    mla.headDim = mla.nopeDim + mla.ropeDim;
    mla.scale = 1.0 / std::sqrt(double(mla.headDim));
    if (cfg.failed())
      return false;
  }

  MlpSpec dense;
  dense.kind = MlpSpec::Kind::Dense;
  dense.intermediate = cfg.getPositive("intermediate_size");
  MlpSpec moe;
  std::string expertsField = firstPresent(cfg, {"num_experts", "n_routed_experts"});
  int64_t experts = cfg.getInt(expertsField, 0);
  int64_t firstDense = cfg.getInt("first_k_dense_replace", 0);
  int64_t freq = cfg.getInt("moe_layer_freq", 1, 1);
  if (experts > 0) {
    moe.kind = MlpSpec::Kind::DeepSeekMoe;
    moe.experts = experts;
    moe.topK = cfg.getPositive(
        firstPresent(cfg, {"num_experts_per_token", "num_experts_per_tok"}));
    moe.expertIntermediate = cfg.getPositive("moe_intermediate_size");
    moe.sharedIntermediate =
        moe.expertIntermediate *
        cfg.getInt(firstPresent(cfg, {"num_shared_experts", "n_shared_experts"}),
                   0);
    moe.normTopK =
        cfg.getBool(firstPresent(cfg, {"moe_renormalize", "norm_topk_prob"}), true);
    moe.routedScaling = cfg.getNumber("routed_scaling_factor", 1.0);
    cfg.requireString("moe_router_activation_func", "sigmoid");
    std::string groupField = firstPresent(cfg, {"num_expert_group", "n_group"});
    int64_t groups = cfg.getInt(groupField, 1, 1);
    int64_t topkGroup = cfg.getInt("topk_group", groups, 1);
    if (cfg.failed())
      return false;
    if (groups > 1 && topkGroup != groups) {
      cfg.fail(groupField, "group-limited routing (" + llvm::Twine(topkGroup) +
                               " of " + llvm::Twine(groups) +
                               " groups) is not implemented");
      return false;
    }
    if (moe.topK > experts) {
      cfg.fail("num_experts_per_token",
               llvm::Twine(moe.topK) + " is more than " + expertsField + " (" +
                   llvm::Twine(experts) + ")");
      return false;
    }
  }
  if (cfg.failed())
    return false;

  for (int64_t i = 0; i < layers; ++i) {
    LayerSpec l;
    l.prefix = "model.layers." + S(i) + ".";
    l.mixerName = "self_attn";
    if (kind[i] == 1) {
      l.mixer = LayerSpec::Mixer::Kda;
      l.kda = kda;
    } else {
      l.mixer = LayerSpec::Mixer::Attention;
      l.attention = mla;
    }
    bool isMoe = experts > 0 && i >= firstDense && i % freq == 0;
    l.mlp = isMoe ? moe : dense;
    spec.layers.push_back(l);
  }
  auto &d = spec.description;
  d.push_back(basicsLine(spec, layers, "rms_norm_eps"));
  d.push_back("layers (K = Kimi Delta Attention, A = MLA): " + patternLine(spec));
  d.push_back("KDA: " + S(kda.heads) + " heads × " + S(kda.headDim) +
              ", short convs " + S(kda.convKernel) +
              " on q, k, v (four states per layer)");
  if (mla.mla)
    d.push_back("MLA (NoPE): " + S(mla.heads) + " heads, kv_lora_rank " +
                S(mla.kvLoraRank) + ", qk " + S(mla.nopeDim) + " + " +
                S(mla.ropeDim) + ", v " + S(mla.vDim()) +
                "; the cache holds the expanded keys and values");
  std::string mp = "MLP: dense SwiGLU " + S(dense.intermediate);
  if (experts > 0)
    mp += "; MoE from layer " + S(firstDense) + ": " + S(experts) +
          " experts top-" + S(moe.topK) + " (SwiGLU " +
          S(moe.expertIntermediate) + ", sigmoid scores, choice by scores + "
          "e_score_correction_bias" +
          (moe.normTopK ? ", renormalised" : "") + ", × " +
          G(moe.routedScaling) + ")" +
          (moe.sharedIntermediate
               ? " + shared experts " + S(moe.sharedIntermediate)
               : "");
  d.push_back(mp);
  return true;
}

/// Python's json module writes the non-finite floats as the bare tokens
/// `Infinity`, `-Infinity` and `NaN` (Mamba-2 configs carry
/// "time_step_limit": [0.0, Infinity]); standard JSON has none. Outside
/// strings, the infinities become 1e999 (which parses as ±inf) and NaN is
/// left for the parser to reject.
std::string acceptPythonInfinity(llvm::StringRef json) {
  std::string out;
  out.reserve(json.size());
  bool inString = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < json.size())
        out += json[++i];
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    if (json.substr(i).starts_with("Infinity")) {
      out += "1e999";
      i += strlen("Infinity") - 1;
      continue;
    }
    out += c;
  }
  return out;
}

} // namespace

llvm::StringRef hymir::import::getSupportedModelTypes() {
  return "granitemoehybrid, jamba, kimi_linear, mamba, mamba2, olmo_hybrid, "
         "qwen3_next, recurrent_gemma, rwkv7, xlstm";
}

llvm::Expected<ImportedModel>
hymir::import::importConfig(llvm::StringRef json, llvm::StringRef fileName,
                            const ImportOptions &options) {
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
  };
  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse(acceptPythonInfinity(json));
  if (!value)
    return fail(fileName + ": invalid JSON: " +
                llvm::toString(value.takeError()));
  const llvm::json::Object *object = value->getAsObject();
  if (!object)
    return fail(fileName + ": expected a JSON object at the top level");
  ConfigReader cfg(*object, fileName);
  std::string type = cfg.getString("model_type");
  if (cfg.failed())
    return fail(cfg.getMessage());
  ModelSpec spec;
  bool ok;
  if (type == "qwen3_next")
    ok = readQwen3Next(cfg, spec);
  else if (type == "mamba2")
    ok = readMamba2(cfg, spec);
  else if (type == "granitemoehybrid")
    ok = readGranite(cfg, spec);
  else if (type == "jamba")
    ok = readJamba(cfg, spec);
  else if (type == "mamba")
    ok = readMamba(cfg, spec);
  else if (type == "recurrent_gemma")
    ok = readRecurrentGemma(cfg, spec);
  else if (type == "xlstm")
    ok = readXLstm(cfg, spec);
  else if (type == "olmo_hybrid")
    ok = readOlmoHybrid(cfg, spec);
  else if (type == "rwkv7")
    ok = readRwkv7(cfg, spec);
  else if (type == "kimi_linear")
    ok = readKimiLinear(cfg, spec);
  else
    return fail(fileName + ": field 'model_type': unsupported model type '" +
                type + "' (supported: " + getSupportedModelTypes() + ")");
  if (!ok || cfg.failed())
    return fail(cfg.getMessage());
  spec.denseMoe = options.moe == MoeDispatch::Dense;
  ImportedModel model = emitModel(spec);
  model.modelType = type;
  return model;
}
