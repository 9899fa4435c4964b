//===- ModelBuilder.cpp - Emit model modules as MLIR text -----------------===//
//
// The layer library of hymir-import. Every function it writes follows the
// conventions of examples/models/tiny_qwen3_next.mlir (docs/models.md):
// activations are `tensor<?x?xDxf32>` ([B, T, D]), a projection is a
// `linalg.contract` against the checkpoint's [out, in] weight, element-wise
// work is a `linalg.generic`, the token mixers are hymir ops. SSA names are
// unique within a function (a counter), so nested regions never shadow.
//
//===----------------------------------------------------------------------===//

#include "ModelBuilder.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <set>

using namespace hymir::import;

namespace {

std::string S(int64_t v) { return std::to_string(v); }

/// An f32 literal the MLIR parser accepts ("1.000000000e-06"). Infinities
/// and NaN (a config may hold them, e.g. Mamba-2's time_step_limit) have no
/// decimal form in MLIR: they are written as their f32 bit pattern.
std::string F(double v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (std::isfinite(v)) {
    os << llvm::format("%.9e", v);
    return s;
  }
  float f = static_cast<float>(v);
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  os << llvm::format("0x%08X", bits);
  return s;
}

std::string t3(int64_t d) { return "tensor<?x?x" + S(d) + "xf32>"; }
std::string t4(int64_t h, int64_t d) {
  return "tensor<?x?x" + S(h) + "x" + S(d) + "xf32>";
}
std::string tw(const std::vector<int64_t> &shape) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += S(d) + "x";
  return s + "f32>";
}
/// A state of static shape but for the batch: tensor<?x...xf32>.
std::string tb(const std::vector<int64_t> &shape) {
  std::string s = "tensor<?x";
  for (int64_t d : shape)
    s += S(d) + "x";
  return s + "f32>";
}

/// The body of one function under construction.
struct Fn {
  std::string text;
  unsigned counter = 0;
  std::string fresh(llvm::StringRef hint) {
    return "%" + hint.str() + "_" + S(counter++);
  }
  void line(const std::string &s) { text += "  " + s + "\n"; }
  /// %c0, %c1, %zero, %B and %T of an activation x [B, T, ...].
  void prologue(const std::string &x, const std::string &type) {
    line("%c0 = arith.constant 0 : index");
    line("%c1 = arith.constant 1 : index");
    line("%zero = arith.constant 0.0 : f32");
    line("%B = tensor.dim " + x + ", %c0 : " + type);
    line("%T = tensor.dim " + x + ", %c1 : " + type);
  }
};

struct Operand {
  std::string value, type, map;
};

/// One recurrent state or KV-cache tensor of a layer.
struct StateSpec {
  /// Argument name of the recurrent layer function ("conv", "S", ...).
  std::string arg;
  std::string type;
  /// Static shape without the batch (recurrent states start at zero).
  std::vector<int64_t> shape;
  /// A KV cache ({hymir.kv_cache}, grown along axis 1 by the runner).
  bool isCache = false;
  std::string meaning;
  /// A KV cache's lengths ({hymir.kv_lengths}, tensor<?xi32>).
  bool isLengths = false;

  /// The argument / result attribute dictionary of this state.
  std::string attrs() const {
    return isCache ? " {hymir.kv_cache}" : isLengths ? " {hymir.kv_lengths}" : "";
  }
};

class Builder {
public:
  explicit Builder(const ModelSpec &spec) : spec(spec) {}
  ImportedModel build();

private:
  // Weights.
  std::string load(Fn &fn, const std::string &name,
                   const std::vector<int64_t> &shape, WeightInit init);
  WeightInit normInit(NormKind kind) const {
    return kind == NormKind::ZeroCentred ? WeightInit::NearZero
                                         : WeightInit::NearOne;
  }

  // Building blocks (activations [B, T, D] of the current function).
  std::string generic(Fn &fn, const std::vector<Operand> &ins,
                      const std::string &outType, const std::string &outMap,
                      const std::string &init, int rank, int reductions,
                      const std::function<std::string(
                          Fn &, const std::vector<std::string> &)> &body);
  std::string empty3(Fn &fn, int64_t d, bool zero);
  std::string linear(Fn &fn, const std::string &x, int64_t in,
                     const std::string &w, int64_t out);
  std::string slice3(Fn &fn, const std::string &x, int64_t d, int64_t off,
                     int64_t len);
  std::string slice4(Fn &fn, const std::string &x, int64_t h, int64_t d,
                     int64_t off, int64_t len);
  std::string expand(Fn &fn, const std::string &x, int64_t h, int64_t d);
  std::string collapse(Fn &fn, const std::string &x, int64_t h, int64_t d);
  std::string norm(Fn &fn, const std::string &x, const std::string &type,
                   const std::string &w, int64_t d, NormKind kind, double eps);
  std::string siluMul(Fn &fn, const std::string &g, const std::string &u,
                      int64_t d);
  std::string scaleConst(Fn &fn, const std::string &x, int64_t d, double c);
  std::string residual(Fn &fn, const std::string &h, const std::string &y,
                       int64_t d);
  static std::string sigmoid(Fn &fn, const std::string &v);
  static std::string silu(Fn &fn, const std::string &v);
  static std::string softplus(Fn &fn, const std::string &v);

  // Layers.
  std::vector<StateSpec> statesOf(const LayerSpec &layer) const;
  void emitRecurrentLayer(unsigned index, const LayerSpec &layer);
  void emitAttentionLayer(unsigned index, const LayerSpec &layer, bool decode);
  std::string emitMlp(Fn &fn, const LayerSpec &layer, const std::string &x);
  std::string routing(Fn &fn, const std::string &logits, int64_t e,
                      int64_t k, bool renormalise, bool sigmoidScores = false,
                      const std::string &choiceBias = "", double scaling = 1.0);
  void emitGatedDeltaNet(Fn &fn, const LayerSpec &layer, const std::string &x,
                         std::string &y, std::vector<std::string> &states);
  void emitMamba2(Fn &fn, const LayerSpec &layer, const std::string &x,
                  std::string &y, std::vector<std::string> &states);
  void emitMamba1(Fn &fn, const LayerSpec &layer, const std::string &x,
                  std::string &y, std::vector<std::string> &states);
  void emitRgLru(Fn &fn, const LayerSpec &layer, const std::string &x,
                 std::string &y, std::vector<std::string> &states);
  void emitMLstm(Fn &fn, const LayerSpec &layer, const std::string &x,
                 std::string &y, std::vector<std::string> &states);
  void emitSLstm(Fn &fn, const LayerSpec &layer, const std::string &x,
                 std::string &y, std::vector<std::string> &states);
  /// The block's pre-norm: the model's norm, or NX-AI xlstm's LayerNorm
  /// (no bias, weight 1 + w) for blocks with `layerNormZeroCentred`.
  std::string blockNorm(Fn &fn, const LayerSpec &layer, const std::string &x,
                        const std::string &name);
  /// x · (1 + w), w [D] per channel (NX-AI xlstm's norm weights).
  std::string timesOnePlus(Fn &fn, const std::string &x, const std::string &w,
                           int64_t d);
  /// y[b, t, h, o] = Σ_i x[b, t, h, i] · W[h, o, i] over heads of x [B, T, D]
  /// (NX-AI's LinearHeadwiseExpand, W [H, DH, DH]).
  std::string headwise(Fn &fn, const std::string &x, const std::string &w,
                       int64_t h, int64_t dh);
  void emitRwkv7Layer(unsigned index, const LayerSpec &layer);
  void emitKda(Fn &fn, const LayerSpec &layer, const std::string &x,
               std::string &y, std::vector<std::string> &states);
  std::string layerNormAffine(Fn &fn, const std::string &x,
                              const std::string &name, int64_t d);
  void tokenShift(Fn &fn, const std::string &x, const std::string &state,
                  int64_t d, std::string &prev, std::string &last);
  std::string lora(Fn &fn, const std::string &x, const std::string &name,
                   int64_t rank, int64_t out, const char *activation,
                   bool bias);
  std::string addBias(Fn &fn, const std::string &x, const std::string &b,
                      int64_t d);
  static std::string geluTanh(Fn &fn, const std::string &v);
  static std::string geluErf(Fn &fn, const std::string &v);
  /// q, k, v (and the output gate) of x [B, T, D]; token t of sequence b at
  /// RoPE position pos[b] + t (`pos` a tensor<?xi32>).
  void attentionQkv(Fn &fn, const LayerSpec &layer, const std::string &x,
                    const std::string &pos, std::string &q, std::string &k,
                    std::string &v, std::string &gate);
  std::string attentionOut(Fn &fn, const LayerSpec &layer,
                           const std::string &o, const std::string &gate);
  std::string ropeHelper(int64_t headDim, int64_t rot, double theta);
  std::string expertHelper(int64_t d, int64_t i, int64_t e);
  std::string ffnHelper(int64_t d, int64_t i);
  std::string sparseExpertHelper(int64_t d, int64_t i, int64_t e);
  std::string routedExpert(Fn &fn, const std::string &acc,
                           const std::string &x, const std::string &w,
                           int64_t j, const std::string &wg,
                           const std::string &wu, const std::string &wd,
                           int64_t d, int64_t i, int64_t e);
  void emitEmbedAndHead();
  void emitEntryPoints();
  std::string header();

  const ModelSpec &spec;
  std::string globals, helpers, layerFuncs;
  std::vector<WeightSpec> weights;
  std::map<std::string, std::vector<int64_t>> declared;
  std::set<std::string> helperNames;
};

//===----------------------------------------------------------------------===//
// Weights and building blocks
//===----------------------------------------------------------------------===//

std::string Builder::load(Fn &fn, const std::string &name,
                          const std::vector<int64_t> &shape, WeightInit init) {
  if (!declared.count(name)) {
    declared[name] = shape;
    weights.push_back({name, shape, init});
    globals += "ml_program.global private @\"" + name +
               "\"(#ml_program.extern : " + tw(shape) + ") : " + tw(shape) +
               "\n";
  }
  std::string v = fn.fresh("w");
  fn.line(v + " = ml_program.global_load_const @\"" + name + "\" : " +
          tw(shape));
  return v;
}

std::string Builder::generic(
    Fn &fn, const std::vector<Operand> &ins, const std::string &outType,
    const std::string &outMap, const std::string &init, int rank,
    int reductions,
    const std::function<std::string(Fn &, const std::vector<std::string> &)>
        &body) {
  std::string out = init;
  if (out.empty()) {
    out = fn.fresh("e");
    fn.line(out + " = tensor.empty(%B, %T) : " + outType);
  }
  std::string maps, iters, vals, types, args;
  std::vector<std::string> argNames;
  for (const Operand &op : ins) {
    maps += op.map + ", ";
    vals += (vals.empty() ? "" : ", ") + op.value;
    types += (types.empty() ? "" : ", ") + op.type;
    std::string a = fn.fresh("a");
    argNames.push_back(a);
    args += a + ": f32, ";
  }
  maps += outMap;
  for (int i = 0; i < rank; ++i)
    iters += std::string(i ? ", " : "") +
             (i >= rank - reductions ? "\"reduction\"" : "\"parallel\"");
  std::string acc = fn.fresh("acc");
  argNames.push_back(acc);
  args += acc + ": f32";
  std::string r = fn.fresh("g");
  fn.line(r + " = linalg.generic {indexing_maps = [" + maps +
          "], iterator_types = [" + iters + "]}");
  fn.line("    ins(" + vals + " : " + types + ") outs(" + out + " : " +
          outType + ") {");
  fn.line("^bb0(" + args + "):");
  std::string y = body(fn, argNames);
  fn.line("  linalg.yield " + y + " : f32");
  fn.line("} -> " + outType);
  return r;
}

std::string Builder::empty3(Fn &fn, int64_t d, bool zero) {
  std::string e = fn.fresh("e");
  fn.line(e + " = tensor.empty(%B, %T) : " + t3(d));
  if (!zero)
    return e;
  std::string z = fn.fresh("z");
  fn.line(z + " = linalg.fill ins(%zero : f32) outs(" + e + " : " + t3(d) +
          ") -> " + t3(d));
  return z;
}

std::string Builder::linear(Fn &fn, const std::string &x, int64_t in,
                            const std::string &w, int64_t out) {
  std::string z = empty3(fn, out, true);
  std::string y = fn.fresh("y");
  fn.line(y + " = linalg.contract indexing_maps = [#px, #pw, #py] ins(" + x +
          ", " + w + " : " + t3(in) + ", " + tw({out, in}) + ") outs(" + z +
          " : " + t3(out) + ") -> " + t3(out));
  return y;
}

std::string Builder::slice3(Fn &fn, const std::string &x, int64_t d,
                            int64_t off, int64_t len) {
  std::string v = fn.fresh("s");
  fn.line(v + " = tensor.extract_slice " + x + "[0, 0, " + S(off) +
          "] [%B, %T, " + S(len) + "] [1, 1, 1] : " + t3(d) + " to " +
          t3(len));
  return v;
}

std::string Builder::slice4(Fn &fn, const std::string &x, int64_t h,
                            int64_t d, int64_t off, int64_t len) {
  std::string v = fn.fresh("s");
  fn.line(v + " = tensor.extract_slice " + x + "[0, 0, 0, " + S(off) +
          "] [%B, %T, " + S(h) + ", " + S(len) + "] [1, 1, 1, 1] : " +
          t4(h, d) + " to " + t4(h, len));
  return v;
}

std::string Builder::expand(Fn &fn, const std::string &x, int64_t h,
                            int64_t d) {
  std::string v = fn.fresh("x");
  fn.line(v + " = tensor.expand_shape " + x +
          " [[0], [1], [2, 3]] output_shape [%B, %T, " + S(h) + ", " + S(d) +
          "] : " + t3(h * d) + " into " + t4(h, d));
  return v;
}

std::string Builder::collapse(Fn &fn, const std::string &x, int64_t h,
                              int64_t d) {
  std::string v = fn.fresh("x");
  fn.line(v + " = tensor.collapse_shape " + x + " [[0], [1], [2, 3]] : " +
          t4(h, d) + " into " + t3(h * d));
  return v;
}

std::string Builder::norm(Fn &fn, const std::string &x,
                          const std::string &type, const std::string &w,
                          int64_t d, NormKind kind, double eps) {
  std::string weight = w;
  if (kind == NormKind::ZeroCentred) {
    std::string one = fn.fresh("one");
    fn.line(one + " = arith.constant dense<1.0> : " + tw({d}));
    weight = fn.fresh("w1");
    fn.line(weight + " = arith.addf " + w + ", " + one + " : " + tw({d}));
  }
  std::string y = fn.fresh("n");
  fn.line(y + " = hymir.rms_norm " + x + ", " + weight + " {eps = " + F(eps) +
          " : f32} : " + type + ", " + tw({d}));
  return y;
}

std::string Builder::sigmoid(Fn &fn, const std::string &v) {
  std::string one = fn.fresh("one"), n = fn.fresh("neg"), e = fn.fresh("exp"),
              d = fn.fresh("den"), r = fn.fresh("sig");
  fn.line("  " + one + " = arith.constant 1.0 : f32");
  fn.line("  " + n + " = arith.negf " + v + " : f32");
  fn.line("  " + e + " = math.exp " + n + " : f32");
  fn.line("  " + d + " = arith.addf " + one + ", " + e + " : f32");
  fn.line("  " + r + " = arith.divf " + one + ", " + d + " : f32");
  return r;
}

std::string Builder::silu(Fn &fn, const std::string &v) {
  std::string s = sigmoid(fn, v), r = fn.fresh("silu");
  fn.line("  " + r + " = arith.mulf " + v + ", " + s + " : f32");
  return r;
}

/// softplus(v) = max(v, 0) + log1p(exp(−|v|)).
std::string Builder::softplus(Fn &fn, const std::string &v) {
  std::string z = fn.fresh("zero"), a = fn.fresh("abs"), n = fn.fresh("nabs"),
              e = fn.fresh("exp"), l = fn.fresh("log1p"), p = fn.fresh("pos"),
              r = fn.fresh("softplus");
  fn.line("  " + z + " = arith.constant 0.0 : f32");
  fn.line("  " + a + " = math.absf " + v + " : f32");
  fn.line("  " + n + " = arith.negf " + a + " : f32");
  fn.line("  " + e + " = math.exp " + n + " : f32");
  fn.line("  " + l + " = math.log1p " + e + " : f32");
  fn.line("  " + p + " = arith.maximumf " + v + ", " + z + " : f32");
  fn.line("  " + r + " = arith.addf " + p + ", " + l + " : f32");
  return r;
}

std::string Builder::siluMul(Fn &fn, const std::string &g,
                             const std::string &u, int64_t d) {
  return generic(fn, {{g, t3(d), "#id3"}, {u, t3(d), "#id3"}}, t3(d), "#id3",
                 "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
                   std::string s = silu(fn, a[0]), r = fn.fresh("r");
                   fn.line("  " + r + " = arith.mulf " + s + ", " + a[1] +
                           " : f32");
                   return r;
                 });
}

std::string Builder::scaleConst(Fn &fn, const std::string &x, int64_t d,
                                double c) {
  return generic(fn, {{x, t3(d), "#id3"}}, t3(d), "#id3", "", 3, 0,
                 [&](Fn &fn, const std::vector<std::string> &a) {
                   std::string k = fn.fresh("k"), r = fn.fresh("r");
                   fn.line("  " + k + " = arith.constant " + F(c) + " : f32");
                   fn.line("  " + r + " = arith.mulf " + a[0] + ", " + k +
                           " : f32");
                   return r;
                 });
}

/// h + residual_multiplier · y.
std::string Builder::residual(Fn &fn, const std::string &h,
                              const std::string &y, int64_t d) {
  std::string ys = y;
  if (spec.residualMultiplier != 1.0)
    ys = scaleConst(fn, y, d, spec.residualMultiplier);
  std::string r = fn.fresh("h");
  fn.line(r + " = arith.addf " + h + ", " + ys + " : " + t3(d));
  return r;
}

//===----------------------------------------------------------------------===//
// MLPs
//===----------------------------------------------------------------------===//

/// The routing weights [B, T, E] of a top-k MoE: p = softmax(logits); an
/// expert is selected when fewer than k experts rank before it (higher p,
/// or equal p and a lower index); w = p on the selected experts, 0
/// elsewhere, divided by its sum when `renormalise`.
std::string Builder::routing(Fn &fn, const std::string &logits, int64_t e,
                             int64_t k, bool renormalise, bool sigmoidScores,
                             const std::string &choiceBias, double scaling) {
  std::string tbt = "tensor<?x?xf32>";
  auto rowReduce = [&](const std::string &x, const std::string &initValue,
                       bool isMax) {
    std::string em = fn.fresh("e"), init = fn.fresh("init");
    fn.line(em + " = tensor.empty(%B, %T) : " + tbt);
    fn.line(init + " = linalg.fill ins(" + initValue + " : f32) outs(" + em +
            " : " + tbt + ") -> " + tbt);
    return generic(fn, {{x, t3(e), "#id3"}}, tbt, "#bt3", init, 3, 1,
                   [&](Fn &fn, const std::vector<std::string> &a) {
                     std::string r = fn.fresh("r");
                     fn.line("  " + r + " = " +
                             (isMax ? "arith.maximumf " : "arith.addf ") +
                             a[0] + ", " + a[1] + " : f32");
                     return r;
                   });
  };
  auto divideRows = [&](const std::string &x, const std::string &s) {
    return generic(fn, {{x, t3(e), "#id3"}, {s, tbt, "#bt3"}}, t3(e), "#id3",
                   "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
                     std::string r = fn.fresh("r");
                     fn.line("  " + r + " = arith.divf " + a[0] + ", " + a[1] +
                             " : f32");
                     return r;
                   });
  };
  std::string p, choice;
  if (sigmoidScores) {
    // DeepSeek-V3 / Kimi: sigmoid scores; the selection ranks scores + bias.
    p = generic(fn, {{logits, t3(e), "#id3"}}, t3(e), "#id3", "", 3, 0,
                [&](Fn &fn, const std::vector<std::string> &a) {
                  return sigmoid(fn, a[0]);
                });
    choice = p;
    if (!choiceBias.empty())
      choice = generic(fn, {{p, t3(e), "#id3"}, {choiceBias, tw({e}), "#ch3"}},
                       t3(e), "#id3", "", 3, 0,
                       [&](Fn &fn, const std::vector<std::string> &a) {
                         std::string r = fn.fresh("r");
                         fn.line("  " + r + " = arith.addf " + a[0] + ", " +
                                 a[1] + " : f32");
                         return r;
                       });
  } else {
  std::string ninf = fn.fresh("ninf");
  fn.line(ninf + " = arith.constant 0xFF800000 : f32");
  std::string m = rowReduce(logits, ninf, true);
  std::string ex = generic(
      fn, {{logits, t3(e), "#id3"}, {m, tbt, "#bt3"}}, t3(e), "#id3", "", 3, 0,
      [&](Fn &fn, const std::vector<std::string> &a) {
        std::string d = fn.fresh("d"), r = fn.fresh("r");
        fn.line("  " + d + " = arith.subf " + a[0] + ", " + a[1] + " : f32");
        fn.line("  " + r + " = math.exp " + d + " : f32");
        return r;
      });
  p = divideRows(ex, rowReduce(ex, "%zero", false));
  choice = p;
  }
  // rank[b, t, e] = #{f : choice[f] > choice[e], or equal with f < e}, an
  // i32 count: an integer sum may be reordered, so the O(E²) loop
  // vectorizes (a float count would stay a scalar chain).
  std::string ti = "tensor<?x?x" + S(e) + "xi32>";
  std::string re = fn.fresh("e"), rz = fn.fresh("z"), c0 = fn.fresh("c0i");
  fn.line(c0 + " = arith.constant 0 : i32");
  fn.line(re + " = tensor.empty(%B, %T) : " + ti);
  fn.line(rz + " = linalg.fill ins(" + c0 + " : i32) outs(" + re + " : " + ti +
          ") -> " + ti);
  std::string rank = fn.fresh("rank"), ra = fn.fresh("a"), rf = fn.fresh("a"),
              racc = fn.fresh("acc");
  fn.line(rank + " = linalg.generic {indexing_maps = [#rke, #rkf, #rke], "
                 "iterator_types = [\"parallel\", \"parallel\", "
                 "\"parallel\", \"reduction\"]}");
  fn.line("    ins(" + choice + ", " + choice + " : " + t3(e) + ", " + t3(e) +
          ") outs(" + rz + " : " + ti + ") {");
  fn.line("^bb0(" + ra + ": f32, " + rf + ": f32, " + racc + ": i32):");
  {
    std::string ie = fn.fresh("ie"), jf = fn.fresh("jf"), gt = fn.fresh("gt"),
                eq = fn.fresh("eq"), lt = fn.fresh("lt"), tie = fn.fresh("tie"),
                before = fn.fresh("before"), inc = fn.fresh("inc"),
                r = fn.fresh("r");
    fn.line("  " + ie + " = linalg.index 2 : index");
    fn.line("  " + jf + " = linalg.index 3 : index");
    fn.line("  " + gt + " = arith.cmpf ogt, " + rf + ", " + ra + " : f32");
    fn.line("  " + eq + " = arith.cmpf oeq, " + rf + ", " + ra + " : f32");
    fn.line("  " + lt + " = arith.cmpi ult, " + jf + ", " + ie + " : index");
    fn.line("  " + tie + " = arith.andi " + eq + ", " + lt + " : i1");
    fn.line("  " + before + " = arith.ori " + gt + ", " + tie + " : i1");
    fn.line("  " + inc + " = arith.extui " + before + " : i1 to i32");
    fn.line("  " + r + " = arith.addi " + racc + ", " + inc + " : i32");
    fn.line("  linalg.yield " + r + " : i32");
  }
  fn.line("} -> " + ti);
  // w = p where rank < k, else 0.
  std::string w = fn.fresh("g"), wa = fn.fresh("a"), wr = fn.fresh("a"),
              wo = fn.fresh("acc");
  std::string we = fn.fresh("e");
  fn.line(we + " = tensor.empty(%B, %T) : " + t3(e));
  fn.line(w + " = linalg.generic {indexing_maps = [#id3, #id3, #id3], "
              "iterator_types = [\"parallel\", \"parallel\", "
              "\"parallel\"]}");
  fn.line("    ins(" + p + ", " + rank + " : " + t3(e) + ", " + ti + ") outs(" +
          we + " : " + t3(e) + ") {");
  fn.line("^bb0(" + wa + ": f32, " + wr + ": i32, " + wo + ": f32):");
  {
    std::string kk = fn.fresh("k"), sel = fn.fresh("sel"),
                zero = fn.fresh("zero"), r = fn.fresh("r");
    fn.line("  " + kk + " = arith.constant " + S(k) + " : i32");
    fn.line("  " + zero + " = arith.constant 0.0 : f32");
    fn.line("  " + sel + " = arith.cmpi slt, " + wr + ", " + kk + " : i32");
    fn.line("  " + r + " = arith.select " + sel + ", " + wa + ", " + zero +
            " : f32");
    fn.line("  linalg.yield " + r + " : f32");
  }
  fn.line("} -> " + t3(e));
  if (renormalise)
    w = divideRows(w, rowReduce(w, "%zero", false));
  if (scaling != 1.0)
    w = scaleConst(fn, w, e, scaling);
  return w;
}

/// @moe_expert_D_I_E(acc, x, w, e, gate, up, down) = acc + w[.., e] ·
/// down(silu(gate x) · up x): one routed expert of Qwen3-Next's MoE, on every
/// token (the reference computes densely; w is 0 where not routed).
std::string Builder::expertHelper(int64_t d, int64_t i, int64_t e) {
  std::string name = "moe_expert_" + S(d) + "_" + S(i) + "_" + S(e);
  if (!helperNames.insert(name).second)
    return name;
  Fn fn;
  fn.prologue("%x", t3(d));
  std::string g = linear(fn, "%x", d, "%w_gate", i);
  std::string u = linear(fn, "%x", d, "%w_up", i);
  std::string a = siluMul(fn, g, u, i);
  std::string y = linear(fn, a, i, "%w_down", d);
  std::string we = fn.fresh("we"), we2 = fn.fresh("we");
  fn.line(we + " = tensor.extract_slice %w[0, 0, %e] [%B, %T, 1] [1, 1, 1] : " +
          t3(e) + " to tensor<?x?x1xf32>");
  fn.line(we2 + " = tensor.collapse_shape " + we +
          " [[0], [1, 2]] : tensor<?x?x1xf32> into tensor<?x?xf32>");
  std::string r = generic(
      fn, {{"%acc", t3(d), "#id3"}, {y, t3(d), "#id3"},
           {we2, "tensor<?x?xf32>", "#bt3"}},
      t3(d), "#id3", "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string r = fn.fresh("r");
        fn.line("  " + r + " = math.fma " + a[1] + ", " + a[2] + ", " + a[0] +
                " : f32");
        return r;
      });
  helpers += "// One routed expert (SwiGLU " + S(d) + " -> " + S(i) +
             " -> " + S(d) + ") weighted by its routing weight w[.., e].\n";
  helpers += "func.func private @" + name + "(%acc: " + t3(d) + ", %x: " +
             t3(d) + ", %w: " + t3(e) + ", %e: index, %w_gate: " +
             tw({i, d}) + ", %w_up: " + tw({i, d}) + ", %w_down: " +
             tw({d, i}) + ") -> " + t3(d) + " {\n" + fn.text + "  return " +
             r + " : " + t3(d) + "\n}\n\n";
  return name;
}

/// @moe_ffn_D_I(x, gate, up, down) = down(silu(gate x) · up x) over the rows
/// of x [1, N, D]: the routed tokens of one expert, gathered.
std::string Builder::ffnHelper(int64_t d, int64_t i) {
  std::string name = "moe_ffn_" + S(d) + "_" + S(i);
  if (!helperNames.insert(name).second)
    return name;
  Fn fn;
  fn.prologue("%x", t3(d));
  std::string g = linear(fn, "%x", d, "%w_gate", i);
  std::string u = linear(fn, "%x", d, "%w_up", i);
  std::string y = linear(fn, siluMul(fn, g, u, i), i, "%w_down", d);
  helpers += "// SwiGLU " + S(d) + " -> " + S(i) + " -> " + S(d) +
             " of one expert over its gathered rows.\n";
  helpers += "func.func private @" + name + "(%x: " + t3(d) + ", %w_gate: " +
             tw({i, d}) + ", %w_up: " + tw({i, d}) + ", %w_down: " +
             tw({d, i}) + ") -> " + t3(d) + " {\n" + fn.text + "  return " +
             y + " : " + t3(d) + "\n}\n\n";
  return name;
}

/// @moe_sparse_D_I_E(acc, x, w, e, gate, up, down) = acc + w[.., e] ·
/// down(silu(gate x) · up x) computed on the tokens routed to expert e only
/// (w[b, t, e] ≠ 0): their row numbers b·T + t are compacted in order into
/// `rows` (n of them), their rows of x gathered into [1, n, D], the expert
/// runs on those, and each result row is scattered back, weighted, into its
/// token's row of acc. The same fma per routed row as the dense helper, so
/// the sum over experts keeps its order and roundings.
std::string Builder::sparseExpertHelper(int64_t d, int64_t i, int64_t e) {
  std::string name = "moe_sparse_" + S(d) + "_" + S(i) + "_" + S(e);
  if (!helperNames.insert(name).second)
    return name;
  std::string ffn = ffnHelper(d, i);
  std::string td = t3(d), te = t3(e), row = "tensor<1x1x" + S(d) + "xf32>";
  Fn fn;
  fn.prologue("%x", td);
  auto L = [&](const std::string &s) { fn.line(s); };
  // Compaction: rows[0..n) = the routed token rows, in order.
  L("%N = arith.muli %B, %T : index");
  L("%rows_e = tensor.empty(%N) : tensor<?xindex>");
  L("%rows, %n = scf.for %r = %c0 to %N step %c1 iter_args(%rs = %rows_e, "
    "%k = %c0) -> (tensor<?xindex>, index) {");
  L("  %rb = arith.divui %r, %T : index");
  L("  %rt = arith.remui %r, %T : index");
  L("  %rw = tensor.extract %w[%rb, %rt, %e] : " + te);
  L("  %routed = arith.cmpf une, %rw, %zero : f32");
  L("  %next:2 = scf.if %routed -> (tensor<?xindex>, index) {");
  L("    %rs2 = tensor.insert %r into %rs[%k] : tensor<?xindex>");
  L("    %k2 = arith.addi %k, %c1 : index");
  L("    scf.yield %rs2, %k2 : tensor<?xindex>, index");
  L("  } else {");
  L("    scf.yield %rs, %k : tensor<?xindex>, index");
  L("  }");
  L("  scf.yield %next#0, %next#1 : tensor<?xindex>, index");
  L("}");
  // Gather: xs[0, j, :] = x[b, t, :] of rows[j].
  L("%xs_e = tensor.empty(%c1, %n) : " + td);
  L("%xs = linalg.generic {indexing_maps = [#id3], iterator_types = "
    "[\"parallel\", \"parallel\", \"parallel\"]} outs(%xs_e : " + td + ") {");
  L("^bb0(%o: f32):");
  L("  %j = linalg.index 1 : index");
  L("  %c = linalg.index 2 : index");
  L("  %gr = tensor.extract %rows[%j] : tensor<?xindex>");
  L("  %gb = arith.divui %gr, %T : index");
  L("  %gt = arith.remui %gr, %T : index");
  L("  %gv = tensor.extract %x[%gb, %gt, %c] : " + td);
  L("  linalg.yield %gv : f32");
  L("} -> " + td);
  L("%ys = func.call @" + ffn + "(%xs, %w_gate, %w_up, %w_down) : (" + td +
    ", " + tw({i, d}) + ", " + tw({i, d}) + ", " + tw({d, i}) + ") -> " + td);
  // Scatter-add: acc[b, t, :] += w[b, t, e] · ys[0, j, :].
  L("%out = scf.for %j = %c0 to %n step %c1 iter_args(%a = %acc) -> (" + td +
    ") {");
  L("  %sr = tensor.extract %rows[%j] : tensor<?xindex>");
  L("  %sb = arith.divui %sr, %T : index");
  L("  %st = arith.remui %sr, %T : index");
  L("  %sw = tensor.extract %w[%sb, %st, %e] : " + te);
  L("  %y1 = tensor.extract_slice %ys[0, %j, 0] [1, 1, " + S(d) +
    "] [1, 1, 1] : " + td + " to " + row);
  L("  %a1 = tensor.extract_slice %a[%sb, %st, 0] [1, 1, " + S(d) +
    "] [1, 1, 1] : " + td + " to " + row);
  L("  %s1 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = "
    "[\"parallel\", \"parallel\", \"parallel\"]} ins(%y1 : " + row +
    ") outs(%a1 : " + row + ") {");
  L("  ^bb0(%yv: f32, %av: f32):");
  L("    %f = math.fma %yv, %sw, %av : f32");
  L("    linalg.yield %f : f32");
  L("  } -> " + row);
  L("  %a2 = tensor.insert_slice %s1 into %a[%sb, %st, 0] [1, 1, " + S(d) +
    "] [1, 1, 1] : " + row + " into " + td);
  L("  scf.yield %a2 : " + td);
  L("}");
  helpers += "// One routed expert (SwiGLU " + S(d) + " -> " + S(i) + " -> " +
             S(d) + ") on the tokens routed to it: compact, gather, run, "
             "scatter-add weighted by w[.., e].\n";
  helpers += "func.func private @" + name + "(%acc: " + td + ", %x: " + td +
             ", %w: " + te + ", %e: index, %w_gate: " + tw({i, d}) +
             ", %w_up: " + tw({i, d}) + ", %w_down: " + tw({d, i}) + ") -> " +
             td + " {\n" + fn.text + "  return %out : " + td + "\n}\n\n";
  return name;
}

/// acc + expert j's weighted output, through the sparse (default) or dense
/// helper; wg, wu, wd are the expert's [I, D], [I, D], [D, I] weights.
std::string Builder::routedExpert(Fn &fn, const std::string &acc,
                                  const std::string &x, const std::string &w,
                                  int64_t j, const std::string &wg,
                                  const std::string &wu, const std::string &wd,
                                  int64_t d, int64_t i, int64_t e) {
  std::string helper = spec.denseMoe ? expertHelper(d, i, e)
                                     : sparseExpertHelper(d, i, e);
  std::string c = fn.fresh("ce"), r = fn.fresh("moe");
  fn.line(c + " = arith.constant " + S(j) + " : index");
  fn.line(r + " = func.call @" + helper + "(" + acc + ", " + x + ", " + w +
          ", " + c + ", " + wg + ", " + wu + ", " + wd + ") : (" + t3(d) +
          ", " + t3(d) + ", " + t3(e) + ", index, " + tw({i, d}) + ", " +
          tw({i, d}) + ", " + tw({d, i}) + ") -> " + t3(d));
  return r;
}

std::string Builder::emitMlp(Fn &fn, const LayerSpec &layer,
                             const std::string &x) {
  const MlpSpec &m = layer.mlp;
  int64_t d = spec.hidden;
  std::string p = layer.prefix + layer.mlpName + ".";
  auto dense = [&](const std::string &pre, int64_t inter) {
    std::string wg = load(fn, pre + m.gateName + ".weight", {inter, d},
                          WeightInit::FanIn);
    std::string wu =
        load(fn, pre + m.upName + ".weight", {inter, d}, WeightInit::FanIn);
    std::string wd =
        load(fn, pre + m.downName + ".weight", {d, inter}, WeightInit::FanIn);
    std::string g = linear(fn, x, d, wg, inter), u = linear(fn, x, d, wu, inter);
    if (m.bias) {
      g = addBias(fn, g, load(fn, pre + m.gateName + ".bias", {inter}, WeightInit::NearZero), inter);
      u = addBias(fn, u, load(fn, pre + m.upName + ".bias", {inter}, WeightInit::NearZero), inter);
    }
    std::string a;
    if (m.geluTanh)
      a = generic(fn, {{g, t3(inter), "#id3"}, {u, t3(inter), "#id3"}},
                  t3(inter), "#id3", "", 3, 0,
                  [&](Fn &fn, const std::vector<std::string> &a) {
                    std::string gg = geluTanh(fn, a[0]), r = fn.fresh("r");
                    fn.line("  " + r + " = arith.mulf " + gg + ", " + a[1] +
                            " : f32");
                    return r;
                  });
    else
      a = siluMul(fn, g, u, inter);
    std::string y = linear(fn, a, inter, wd, d);
    if (m.bias)
      y = addBias(fn, y, load(fn, pre + m.downName + ".bias", {d}, WeightInit::NearZero), d);
    return y;
  };
  switch (m.kind) {
  case MlpSpec::Kind::None:
    return "";
  case MlpSpec::Kind::Dense:
    return dense(p, m.intermediate);
  case MlpSpec::Kind::GatedFfn: {
    int64_t i = m.intermediate;
    std::string wu =
        load(fn, p + "proj_up.weight", {2 * i, d}, WeightInit::FanIn);
    std::string wd =
        load(fn, p + "proj_down.weight", {d, i}, WeightInit::FanIn);
    std::string gu = linear(fn, x, d, wu, 2 * i);
    std::string g = slice3(fn, gu, 2 * i, 0, i),
                u = slice3(fn, gu, 2 * i, i, i);
    std::string a =
        m.geluErf
            ? generic(fn, {{g, t3(i), "#id3"}, {u, t3(i), "#id3"}}, t3(i),
                      "#id3", "", 3, 0,
                      [&](Fn &fn, const std::vector<std::string> &a) {
                        std::string r = fn.fresh("r");
                        fn.line("  " + r + " = arith.mulf " +
                                geluErf(fn, a[0]) + ", " + a[1] + " : f32");
                        return r;
                      })
            : siluMul(fn, g, u, i);
    return linear(fn, a, i, wd, d);
  }
  case MlpSpec::Kind::QwenMoe: {
    int64_t e = m.experts;
    std::string router =
        load(fn, p + m.routerName, {e, d}, WeightInit::FanIn);
    std::string w =
        routing(fn, linear(fn, x, d, router, e), e, m.topK, m.normTopK);
    std::string acc = empty3(fn, d, true);
    for (int64_t j = 0; j < e; ++j) {
      std::string pe = p + "experts." + S(j) + ".";
      int64_t i = m.expertIntermediate;
      std::string wg =
          load(fn, pe + "gate_proj.weight", {i, d}, WeightInit::FanIn);
      std::string wu =
          load(fn, pe + "up_proj.weight", {i, d}, WeightInit::FanIn);
      std::string wd =
          load(fn, pe + "down_proj.weight", {d, i}, WeightInit::FanIn);
      acc = routedExpert(fn, acc, x, w, j, wg, wu, wd, d, i, e);
    }
    if (m.sharedIntermediate > 0) {
      std::string ys = dense(p + "shared_expert.", m.sharedIntermediate);
      std::string wsg = load(fn, p + "shared_expert_gate.weight", {1, d},
                             WeightInit::FanIn);
      std::string gl = linear(fn, x, d, wsg, 1);
      std::string g2 = fn.fresh("sg");
      fn.line(g2 + " = tensor.collapse_shape " + gl +
              " [[0], [1, 2]] : tensor<?x?x1xf32> into tensor<?x?xf32>");
      std::string yg = generic(
          fn, {{ys, t3(d), "#id3"}, {g2, "tensor<?x?xf32>", "#bt3"}}, t3(d),
          "#id3", "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
            std::string s = sigmoid(fn, a[1]), r = fn.fresh("r");
            fn.line("  " + r + " = arith.mulf " + a[0] + ", " + s + " : f32");
            return r;
          });
      std::string r = fn.fresh("moe");
      fn.line(r + " = arith.addf " + acc + ", " + yg + " : " + t3(d));
      acc = r;
    }
    return acc;
  }
  case MlpSpec::Kind::DeepSeekMoe: {
    int64_t e = m.experts, i = m.expertIntermediate;
    std::string pm = layer.prefix + "block_sparse_moe.";
    std::string router = load(fn, pm + "gate.weight", {e, d}, WeightInit::FanIn);
    std::string bias = load(fn, pm + "gate.e_score_correction_bias", {e},
                            WeightInit::NearZero);
    std::string w = routing(fn, linear(fn, x, d, router, e), e, m.topK,
                            m.normTopK, /*sigmoidScores=*/true, bias,
                            m.routedScaling);
    std::string acc = empty3(fn, d, true);
    for (int64_t j = 0; j < e; ++j) {
      std::string pe = pm + "experts." + S(j) + ".";
      std::string wg = load(fn, pe + "w1.weight", {i, d}, WeightInit::FanIn);
      std::string wu = load(fn, pe + "w3.weight", {i, d}, WeightInit::FanIn);
      std::string wd = load(fn, pe + "w2.weight", {d, i}, WeightInit::FanIn);
      acc = routedExpert(fn, acc, x, w, j, wg, wu, wd, d, i, e);
    }
    if (m.sharedIntermediate > 0) {
      std::string r = fn.fresh("moe");
      fn.line(r + " = arith.addf " + acc + ", " +
              dense(pm + "shared_experts.", m.sharedIntermediate) + " : " +
              t3(d));
      acc = r;
    }
    return acc;
  }
  case MlpSpec::Kind::GraniteMoe: {
    std::string acc;
    if (m.experts > 0) {
      int64_t e = m.experts, i = m.expertIntermediate;
      std::string pm = layer.prefix + "block_sparse_moe.";
      std::string router =
          load(fn, pm + "router.layer.weight", {e, d}, WeightInit::FanIn);
      std::string w = routing(fn, linear(fn, x, d, router, e), e, m.topK,
                              /*renormalise=*/true);
      std::string win = load(fn, pm + "input_linear.weight", {e, 2 * i, d},
                             WeightInit::FanIn);
      std::string wout = load(fn, pm + "output_linear.weight", {e, d, i},
                              WeightInit::FanIn);
      if (!spec.denseMoe) {
        // Each expert on its routed tokens, with its slices of the stacked
        // weights.
        auto expertSlice = [&](const std::string &wt,
                               const std::vector<int64_t> &shape, int64_t j,
                               int64_t off, int64_t rows, int64_t cols) {
          std::string v = fn.fresh("wx");
          fn.line(v + " = tensor.extract_slice " + wt + "[" + S(j) + ", " +
                  S(off) + ", 0] [1, " + S(rows) + ", " + S(cols) +
                  "] [1, 1, 1] : " + tw(shape) + " to " + tw({rows, cols}));
          return v;
        };
        acc = empty3(fn, d, true);
        for (int64_t j = 0; j < e; ++j) {
          std::string wg = expertSlice(win, {e, 2 * i, d}, j, 0, i, d);
          std::string wu = expertSlice(win, {e, 2 * i, d}, j, i, i, d);
          std::string wd = expertSlice(wout, {e, d, i}, j, 0, d, i);
          acc = routedExpert(fn, acc, x, w, j, wg, wu, wd, d, i, e);
        }
      } else {
      // Every expert on every token: gu[b, t, e, o] = Σ_k x[b, t, k] W[e, o, k].
      std::string t5 = t4(e, 2 * i);
      std::string em = fn.fresh("e"), z = fn.fresh("z"), gu = fn.fresh("gu");
      fn.line(em + " = tensor.empty(%B, %T) : " + t5);
      fn.line(z + " = linalg.fill ins(%zero : f32) outs(" + em + " : " + t5 +
              ") -> " + t5);
      fn.line(gu + " = linalg.contract indexing_maps = [#sx, #sw, #sy] ins(" +
              x + ", " + win + " : " + t3(d) + ", " + tw({e, 2 * i, d}) +
              ") outs(" + z + " : " + t5 + ") -> " + t5);
      std::string g = slice4(fn, gu, e, 2 * i, 0, i);
      std::string u = slice4(fn, gu, e, 2 * i, i, i);
      // a = silu(g) · u · w[b, t, e]
      std::string a = generic(
          fn, {{g, t4(e, i), "#id4"}, {u, t4(e, i), "#id4"},
               {w, t3(e), "#bte4"}},
          t4(e, i), "#id4", "", 4, 0,
          [&](Fn &fn, const std::vector<std::string> &a) {
            std::string s = silu(fn, a[0]), r1 = fn.fresh("r"),
                        r2 = fn.fresh("r");
            fn.line("  " + r1 + " = arith.mulf " + s + ", " + a[1] + " : f32");
            fn.line("  " + r2 + " = arith.mulf " + r1 + ", " + a[2] + " : f32");
            return r2;
          });
      std::string z2 = empty3(fn, d, true), y = fn.fresh("moe");
      fn.line(y + " = linalg.contract indexing_maps = [#dx, #dw, #dy] ins(" +
              a + ", " + wout + " : " + t4(e, i) + ", " + tw({e, d, i}) +
              ") outs(" + z2 + " : " + t3(d) + ") -> " + t3(d));
      acc = y;
      }
    }
    if (m.sharedIntermediate > 0) {
      int64_t s = m.sharedIntermediate;
      std::string ps = layer.prefix + "shared_mlp.";
      std::string win = load(fn, ps + "input_linear.weight", {2 * s, d},
                             WeightInit::FanIn);
      std::string wout =
          load(fn, ps + "output_linear.weight", {d, s}, WeightInit::FanIn);
      std::string gu = linear(fn, x, d, win, 2 * s);
      std::string a = siluMul(fn, slice3(fn, gu, 2 * s, 0, s),
                              slice3(fn, gu, 2 * s, s, s), s);
      std::string y = linear(fn, a, s, wout, d);
      if (acc.empty()) {
        acc = y;
      } else {
        std::string r = fn.fresh("moe");
        fn.line(r + " = arith.addf " + acc + ", " + y + " : " + t3(d));
        acc = r;
      }
    }
    return acc;
  }
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Mixers
//===----------------------------------------------------------------------===//

std::vector<StateSpec> Builder::statesOf(const LayerSpec &layer) const {
  switch (layer.mixer) {
  case LayerSpec::Mixer::Attention: {
    const AttentionSpec &a = layer.attention;
    std::string t = t4(a.kvHeads, a.headDim), tv = t4(a.kvHeads, a.vDim());
    return {{"k_cache", t, {}, true,
             "KV cache: keys (after the norms and RoPE), capacity C, rows < lengths valid"},
            {"v_cache", tv, {}, true, "KV cache: values, capacity C"},
            {"lengths", "tensor<?xi32>", {}, false,
             "KV cache lengths: tokens so far per sequence", true}};
  }
  case LayerSpec::Mixer::GatedDeltaNet: {
    const GatedDeltaNetSpec &g = layer.gdn;
    int64_t c = 2 * g.keyHeads * g.keyDim + g.valueHeads * g.valueDim;
    std::vector<int64_t> conv{g.convKernel - 1, c},
        s{g.valueHeads, g.keyDim, g.valueDim};
    return {{"conv", tb(conv), conv, false, "conv state: the last K-1 inputs of the short conv (q, k, v)"},
            {"S", tb(s), s, false, "delta-rule state per value head, key-major"}};
  }
  case LayerSpec::Mixer::Mamba2: {
    const Mamba2Spec &m = layer.mamba2;
    std::vector<int64_t> conv{m.convKernel - 1, m.convDim()},
        s{m.heads, m.stateSize, m.headDim};
    return {{"conv", tb(conv), conv, false, "conv state: the last K-1 inputs of the short conv (x, B, C)"},
            {"S", tb(s), s, false, "SSM state per head [N, P], key-major (mamba_ssm's transposed)"}};
  }
  case LayerSpec::Mixer::Mamba1: {
    const Mamba1Spec &m = layer.mamba1;
    std::vector<int64_t> conv{m.convKernel - 1, m.inner},
        s{m.inner, m.stateSize};
    return {{"conv", tb(conv), conv, false, "conv state: the last K-1 inputs of the short conv (x)"},
            {"S", tb(s), s, false, "SSM state [Di, N], channel-major (mamba_ssm's)"}};
  }
  case LayerSpec::Mixer::RgLru: {
    const RgLruSpec &r = layer.rglru;
    std::vector<int64_t> conv{r.convKernel - 1, r.width}, s{r.width};
    return {{"conv", tb(conv), conv, false, "conv state: the last K-1 inputs of the short conv (x branch)"},
            {"S", tb(s), s, false, "RG-LRU state"}};
  }
  case LayerSpec::Mixer::Kda: {
    const KdaSpec &k = layer.kda;
    std::vector<int64_t> conv{k.convKernel - 1, k.heads * k.headDim},
        st{k.heads, k.headDim, k.headDim};
    return {{"conv_q", tb(conv), conv, false, "conv state of q: its last K-1 inputs"},
            {"conv_k", tb(conv), conv, false, "conv state of k"},
            {"conv_v", tb(conv), conv, false, "conv state of v"},
            {"S", tb(st), st, false, "KDA state per head, key-major"}};
  }
  case LayerSpec::Mixer::Rwkv7: {
    const Rwkv7Spec &r = layer.rwkv7;
    std::vector<int64_t> shift{1, spec.hidden},
        st{r.heads, r.keyDim, r.valueDim / r.heads};
    return {{"shift_a", tb(shift), shift, false, "token shift of the time mix: the last input"},
            {"S", tb(st), st, false, "RWKV-7 state per head, key-major"},
            {"shift_f", tb(shift), shift, false, "token shift of the channel mix: the last input"}};
  }
  case LayerSpec::Mixer::SLstm: {
    const SLstmSpec &sl = layer.slstm;
    std::vector<int64_t> conv{sl.convKernel - 1, spec.hidden},
        hd{sl.heads, sl.headDim};
    std::vector<StateSpec> st;
    if (sl.convKernel > 0)
      st.push_back(
          {"conv", tb(conv), conv, false,
           "conv state: the last K-1 inputs of the sLSTM's short conv"});
    st.push_back({"hs", tb(hd), hd, false,
                  "sLSTM hidden state h per head (feeds the gates)"});
    st.push_back(
        {"c", tb(hd), hd, false, "sLSTM cell state per head (stabilised)"});
    st.push_back(
        {"n", tb(hd), hd, false, "sLSTM normaliser per head (stabilised)"});
    st.push_back(
        {"m", tb(hd), hd, false, "sLSTM stabiliser per head and channel"});
    return st;
  }
  case LayerSpec::Mixer::MLstm: {
    const MLstmSpec &m = layer.mlstm;
    std::vector<int64_t> c{m.heads, m.qkHeadDim, m.vHeadDim},
        n{m.heads, m.qkHeadDim}, mm{m.heads};
    return {{"C", tb(c), c, false, "mLSTM matrix memory per head (stabilised), key-major"},
            {"n", tb(n), n, false, "mLSTM normaliser per head (stabilised)"},
            {"m", tb(mm), mm, false, "mLSTM stabiliser per head"}};
  }
  }
  return {};
}

void Builder::emitGatedDeltaNet(Fn &fn, const LayerSpec &layer,
                                const std::string &x, std::string &y,
                                std::vector<std::string> &states) {
  const GatedDeltaNetSpec &g = layer.gdn;
  int64_t d = spec.hidden, hk = g.keyHeads, hv = g.valueHeads, dk = g.keyDim,
          dv = g.valueDim, r = hv / hk, kw = g.convKernel;
  int64_t group = 2 * dk + 2 * r * dv, qkvz = hk * group, ba = 2 * hv;
  int64_t c = 2 * hk * dk + hv * dv;
  std::string p = layer.prefix + layer.mixerName + ".";
  std::string wconv, dtBias, aLog, wnorm, wout, qkv, zFlat, a, b;
  if (!g.separateProjections) {
    // Qwen3-Next: fused in_proj_qkvz / in_proj_ba, laid out per key-head group.
    std::string wqkvz =
        load(fn, p + "in_proj_qkvz.weight", {qkvz, d}, WeightInit::FanIn);
    std::string wba =
        load(fn, p + "in_proj_ba.weight", {ba, d}, WeightInit::FanIn);
    wconv = load(fn, p + "conv1d.weight", {c, 1, kw}, WeightInit::FanIn);
    dtBias = load(fn, p + "dt_bias", {hv}, WeightInit::NearOne);
    aLog = load(fn, p + "A_log", {hv}, WeightInit::ALog);
    wnorm = load(fn, p + "norm.weight", {dv}, WeightInit::NearOne);
    wout = load(fn, p + "out_proj.weight", {d, hv * dv}, WeightInit::FanIn);

    fn.line("// Projections per key-head group: [q " + S(dk) + " | k " + S(dk) +
            " | v " + S(r * dv) + " | z " + S(r * dv) + "], [b " + S(r) +
            " | a " + S(r) + "].");
    std::string qkvzG = expand(fn, linear(fn, x, d, wqkvz, qkvz), hk, group);
    std::string qG = slice4(fn, qkvzG, hk, group, 0, dk);
    std::string kG = slice4(fn, qkvzG, hk, group, dk, dk);
    std::string vG = slice4(fn, qkvzG, hk, group, 2 * dk, r * dv);
    std::string zG = slice4(fn, qkvzG, hk, group, 2 * dk + r * dv, r * dv);
    std::string baG = expand(fn, linear(fn, x, d, wba, ba), hk, 2 * r);
    b = collapse(fn, slice4(fn, baG, hk, 2 * r, 0, r), hk, r);
    a = collapse(fn, slice4(fn, baG, hk, 2 * r, r, r), hk, r);
    zFlat = collapse(fn, zG, hk, r * dv);

    fn.line("// One short conv over concat(q, k, v) (" + S(c) +
            " channels) + SiLU, carrying the last " + S(kw - 1) + " inputs.");
    std::string qF = collapse(fn, qG, hk, dk), kF = collapse(fn, kG, hk, dk),
                vF = collapse(fn, vG, hk, r * dv);
    qkv = fn.fresh("qkv");
    fn.line(qkv + " = tensor.concat dim(2) " + qF + ", " + kF + ", " + vF +
            " : (" + t3(hk * dk) + ", " + t3(hk * dk) + ", " + t3(hv * dv) +
            ") -> " + t3(c));
  } else {
    // OLMo Hybrid (fla's layout): separate q/k/v/a/b/g projections.
    std::string wq = load(fn, p + "q_proj.weight", {hk * dk, d}, WeightInit::FanIn);
    std::string wk = load(fn, p + "k_proj.weight", {hk * dk, d}, WeightInit::FanIn);
    std::string wv = load(fn, p + "v_proj.weight", {hv * dv, d}, WeightInit::FanIn);
    std::string wa = load(fn, p + "a_proj.weight", {hv, d}, WeightInit::FanIn);
    std::string wb = load(fn, p + "b_proj.weight", {hv, d}, WeightInit::FanIn);
    std::string wg = load(fn, p + "g_proj.weight", {hv * dv, d}, WeightInit::FanIn);
    wconv = load(fn, p + "conv1d.weight", {c, 1, kw}, WeightInit::FanIn);
    dtBias = load(fn, p + "dt_bias", {hv}, WeightInit::DtBias);
    aLog = load(fn, p + "A_log", {hv}, WeightInit::ALog);
    wnorm = load(fn, p + "o_norm.weight", {dv}, WeightInit::NearOne);
    wout = load(fn, p + "o_proj.weight", {d, hv * dv}, WeightInit::FanIn);
    fn.line("// Separate projections q, k, v, a, b, g (the output gate); one "
            "short conv over concat(q, k, v) (" + S(c) + " channels) + SiLU.");
    std::string qF = linear(fn, x, d, wq, hk * dk);
    std::string kF = linear(fn, x, d, wk, hk * dk);
    std::string vF = linear(fn, x, d, wv, hv * dv);
    a = linear(fn, x, d, wa, hv);
    b = linear(fn, x, d, wb, hv);
    zFlat = linear(fn, x, d, wg, hv * dv);
    qkv = fn.fresh("qkv");
    fn.line(qkv + " = tensor.concat dim(2) " + qF + ", " + kF + ", " + vF +
            " : (" + t3(hk * dk) + ", " + t3(hk * dk) + ", " + t3(hv * dv) +
            ") -> " + t3(c));
  }
  std::string wc = fn.fresh("wc");
  fn.line(wc + " = tensor.collapse_shape " + wconv + " [[0, 1], [2]] : " +
          tw({c, 1, kw}) + " into " + tw({c, kw}));
  std::string convT = tb({kw - 1, c});
  std::string qkvC = fn.fresh("qkv_c"), convOut = fn.fresh("conv_out");
  fn.line(qkvC + ", " + convOut + " = hymir.causal_conv1d " + qkv + ", " + wc +
          " state(%conv) {activation = #hymir.activation<silu>} : " + t3(c) +
          ", " + tw({c, kw}) + ", " + convT + " -> " + t3(c) + ", " + convT);
  std::string q = expand(fn, slice3(fn, qkvC, c, 0, hk * dk), hk, dk);
  std::string k = expand(fn, slice3(fn, qkvC, c, hk * dk, hk * dk), hk, dk);
  std::string v = expand(fn, slice3(fn, qkvC, c, 2 * hk * dk, hv * dv), hv, dv);

  fn.line("// The gated delta rule over " + S(hv) +
          " value heads; value head h reads q/k head h // " + S(r) + ".");
  std::string aExp = fn.fresh("A_exp"), aNeg = fn.fresh("A");
  fn.line(aExp + " = math.exp " + aLog + " : " + tw({hv}));
  fn.line(aNeg + " = arith.negf " + aExp + " : " + tw({hv}));
  std::string vecK = tw({dk}), vecV = tw({dv}), st = tw({dk, dv});
  std::string o = fn.fresh("o"), sT = fn.fresh("S_T");
  fn.line(o + ", " + sT + " = hymir.scan heads = " + S(hv));
  fn.line("    ins(" + q + ", " + k + ", " + v + ", " + a + ", " + b + " : " +
          t4(hk, dk) + ", " + t4(hk, dk) + ", " + t4(hv, dv) + ", " + t3(hv) +
          ", " + t3(hv) + ")");
  fn.line("    params(" + aNeg + ", " + dtBias + " : " + tw({hv}) + ", " +
          tw({hv}) + ")");
  fn.line("    inits(%S : " + tb({hv, dk, dv}) + ") -> (" + t4(hv, dv) +
          ") {");
  std::string qt = fn.fresh("q_t"), kt = fn.fresh("k_t"), vt = fn.fresh("v_t"),
              at = fn.fresh("a_t"), bt = fn.fresh("b_t"), ah = fn.fresh("A_h"),
              dth = fn.fresh("dt_bias_h"), sS = fn.fresh("S");
  fn.line("^bb0(" + qt + ": " + vecK + ", " + kt + ": " + vecK + ", " + vt +
          ": " + vecV + ", " + at + ": f32, " + bt + ": f32, " + ah +
          ": f32, " + dth + ": f32, " + sS + ": " + st + "):");
  std::string scale = fn.fresh("scale"), qn = fn.fresh("q_n"),
              kn = fn.fresh("k_n"), s = fn.fresh("s");
  fn.line("  " + scale + " = arith.constant " + F(1.0 / std::sqrt(double(dk))) +
          " : f32");
  fn.line("  " + qn + " = hymir.l2_norm " + qt + " {eps = 1.0e-06 : f32} : " +
          vecK);
  fn.line("  " + kn + " = hymir.l2_norm " + kt + " {eps = 1.0e-06 : f32} : " +
          vecK);
  fn.line("  // g = A_h · softplus(a + dt_bias_h),  β = sigmoid(b)");
  fn.line("  " + s + " = arith.addf " + at + ", " + dth + " : f32");
  std::string sp = softplus(fn, s), gt = fn.fresh("g_t");
  fn.line("  " + gt + " = arith.mulf " + ah + ", " + sp + " : f32");
  std::string beta = sigmoid(fn, bt);
  if (g.betaScale != 1.0) {
    std::string k2 = fn.fresh("two"), b2 = fn.fresh("beta");
    fn.line("  " + k2 + " = arith.constant " + F(g.betaScale) + " : f32");
    fn.line("  " + b2 + " = arith.mulf " + beta + ", " + k2 + " : f32");
    beta = b2;
  }
  fn.line("  // S' = exp(g) S;  u = β (v − S'ᵀ k̂);  S_new = S' + k̂ ⊗ u;  o = "
          "S_newᵀ (q̂ / √dk)");
  std::string alpha = fn.fresh("alpha"), sd = fn.fresh("S_decayed"),
              pred = fn.fresh("pred"), err = fn.fresh("err"),
              ut = fn.fresh("u_t"), ku = fn.fresh("ku"), sn = fn.fresh("S_new"),
              qs = fn.fresh("q_s"), ot = fn.fresh("o_t");
  fn.line("  " + alpha + " = math.exp " + gt + " : f32");
  fn.line("  " + sd + " = hymir.scale " + sS + ", " + alpha + " : " + st +
          ", f32");
  fn.line("  " + pred + " = hymir.read " + sd + ", " + kn + " : " + st + ", " +
          vecK + " -> " + vecV);
  fn.line("  " + err + " = arith.subf " + vt + ", " + pred + " : " + vecV);
  fn.line("  " + ut + " = hymir.scale " + err + ", " + beta + " : " + vecV +
          ", f32");
  fn.line("  " + ku + " = hymir.outer " + kn + ", " + ut + " : " + vecK + ", " +
          vecV + " -> " + st);
  fn.line("  " + sn + " = arith.addf " + sd + ", " + ku + " : " + st);
  fn.line("  " + qs + " = hymir.scale " + qn + ", " + scale + " : " + vecK +
          ", f32");
  fn.line("  " + ot + " = hymir.read " + sn + ", " + qs + " : " + st + ", " +
          vecK + " -> " + vecV);
  fn.line("  hymir.yield " + ot + ", " + sn + " : " + vecV + ", " + st);
  fn.line("}");

  fn.line("// Gated RMSNorm per value head: rmsnorm(o) · w · silu(z), then "
          "out_proj.");
  std::string z = expand(fn, zFlat, hv, dv);
  std::string on = norm(fn, o, t4(hv, dv), wnorm, dv, NormKind::Plain,
                        g.normEps > 0.0 ? g.normEps : spec.eps);
  std::string og = generic(
      fn, {{on, t4(hv, dv), "#id4"}, {z, t4(hv, dv), "#id4"}}, t4(hv, dv),
      "#id4", "", 4, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string sz = silu(fn, a[1]), r = fn.fresh("r");
        fn.line("  " + r + " = arith.mulf " + a[0] + ", " + sz + " : f32");
        return r;
      });
  y = linear(fn, collapse(fn, og, hv, dv), hv * dv, wout, d);
  states = {convOut, sT};
}

void Builder::emitMamba2(Fn &fn, const LayerSpec &layer, const std::string &x,
                         std::string &y, std::vector<std::string> &states) {
  const Mamba2Spec &m = layer.mamba2;
  int64_t d = spec.hidden, h = m.heads, pd = m.headDim, n = m.stateSize,
          g = m.groups, kw = m.convKernel, di = m.inner(), cd = m.convDim();
  int64_t proj = di + cd + h;
  std::string p = layer.prefix + layer.mixerName + ".";
  std::string win = load(fn, p + "in_proj.weight", {proj, d}, WeightInit::FanIn);
  std::string wconv =
      load(fn, p + "conv1d.weight", {cd, 1, kw}, WeightInit::FanIn);
  std::string bconv;
  if (m.convBias)
    bconv = load(fn, p + "conv1d.bias", {cd}, WeightInit::NearZero);
  std::string dtBias = load(fn, p + "dt_bias", {h}, WeightInit::DtBias);
  std::string aLog = load(fn, p + "A_log", {h}, WeightInit::ALog);
  std::string dSkip = load(fn, p + "D", {h}, WeightInit::NearOne);
  std::string wnorm = load(fn, p + "norm.weight", {di}, WeightInit::NearOne);
  std::string wout = load(fn, p + "out_proj.weight", {d, di}, WeightInit::FanIn);

  fn.line("// in_proj: [z " + S(di) + " | xBC " + S(cd) + " | dt " + S(h) +
          "].");
  std::string zxd = linear(fn, x, d, win, proj);
  std::string z = slice3(fn, zxd, proj, 0, di);
  std::string xbc = slice3(fn, zxd, proj, di, cd);
  std::string dt = slice3(fn, zxd, proj, di + cd, h);
  fn.line("// Short conv over [x | B | C] (" + S(cd) +
          " channels) + SiLU, carrying the last " + S(kw - 1) + " inputs.");
  std::string wc = fn.fresh("wc");
  fn.line(wc + " = tensor.collapse_shape " + wconv + " [[0, 1], [2]] : " +
          tw({cd, 1, kw}) + " into " + tw({cd, kw}));
  std::string convT = tb({kw - 1, cd});
  std::string xc = fn.fresh("xbc_c"), convOut = fn.fresh("conv_out");
  fn.line(xc + ", " + convOut + " = hymir.causal_conv1d " + xbc + ", " + wc +
          (m.convBias ? " bias(" + bconv + ")" : std::string()) +
          " state(%conv) {activation = #hymir.activation<silu>} : " + t3(cd) +
          ", " + tw({cd, kw}) +
          (m.convBias ? ", " + tw({cd}) : std::string()) + ", " + convT +
          " -> " + t3(cd) + ", " + convT);
  std::string xs = expand(fn, slice3(fn, xc, cd, 0, di), h, pd);
  std::string bs = expand(fn, slice3(fn, xc, cd, di, g * n), g, n);
  std::string cs = expand(fn, slice3(fn, xc, cd, di + g * n, g * n), g, n);

  fn.line("// SSD: S ← exp(Δ A_h) S + Δ B ⊗ x,  y = Sᵀ C + D_h x;  head h "
          "reads B/C group h // " + S(h / g) + ".");
  std::string aExp = fn.fresh("A_exp"), aNeg = fn.fresh("A");
  fn.line(aExp + " = math.exp " + aLog + " : " + tw({h}));
  fn.line(aNeg + " = arith.negf " + aExp + " : " + tw({h}));
  std::string vecP = tw({pd}), vecN = tw({n}), st = tw({n, pd});
  std::string ys = fn.fresh("y"), sT = fn.fresh("S_T");
  fn.line(ys + ", " + sT + " = hymir.scan heads = " + S(h));
  fn.line("    ins(" + xs + ", " + dt + ", " + bs + ", " + cs + " : " +
          t4(h, pd) + ", " + t3(h) + ", " + t4(g, n) + ", " + t4(g, n) + ")");
  fn.line("    params(" + aNeg + ", " + dSkip + ", " + dtBias + " : " +
          tw({h}) + ", " + tw({h}) + ", " + tw({h}) + ")");
  fn.line("    inits(%S : " + tb({h, n, pd}) + ") -> (" + t4(h, pd) + ") {");
  std::string xt = fn.fresh("x_t"), dtt = fn.fresh("dt_t"),
              bt = fn.fresh("B_t"), ct = fn.fresh("C_t"), ah = fn.fresh("A_h"),
              dh = fn.fresh("D_h"), dbh = fn.fresh("dt_bias_h"),
              sS = fn.fresh("S");
  fn.line("^bb0(" + xt + ": " + vecP + ", " + dtt + ": f32, " + bt + ": " +
          vecN + ", " + ct + ": " + vecN + ", " + ah + ": f32, " + dh +
          ": f32, " + dbh + ": f32, " + sS + ": " + st + "):");
  std::string v = fn.fresh("v");
  fn.line("  " + v + " = arith.addf " + dtt + ", " + dbh + " : f32");
  std::string delta = softplus(fn, v);
  if (m.dtClamp) {
    std::string lo = fn.fresh("lo"), hi = fn.fresh("hi"),
                d1 = fn.fresh("delta"), d2 = fn.fresh("delta");
    fn.line("  " + lo + " = arith.constant " + F(m.dtMin) + " : f32");
    fn.line("  " + hi + " = arith.constant " + F(m.dtMax) + " : f32");
    fn.line("  " + d1 + " = arith.maximumf " + delta + ", " + lo + " : f32");
    fn.line("  " + d2 + " = arith.minimumf " + d1 + ", " + hi + " : f32");
    delta = d2;
  }
  std::string da = fn.fresh("dA"), alpha = fn.fresh("alpha"),
              sd = fn.fresh("S_decayed"), xdt = fn.fresh("x_dt"),
              bx = fn.fresh("Bx"), sn = fn.fresh("S_new"), sc = fn.fresh("SC"),
              dx = fn.fresh("Dx"), yt = fn.fresh("y_t");
  fn.line("  " + da + " = arith.mulf " + delta + ", " + ah + " : f32");
  fn.line("  " + alpha + " = math.exp " + da + " : f32");
  fn.line("  " + sd + " = hymir.scale " + sS + ", " + alpha + " : " + st +
          ", f32");
  fn.line("  " + xdt + " = hymir.scale " + xt + ", " + delta + " : " + vecP +
          ", f32");
  fn.line("  " + bx + " = hymir.outer " + bt + ", " + xdt + " : " + vecN +
          ", " + vecP + " -> " + st);
  fn.line("  " + sn + " = arith.addf " + sd + ", " + bx + " : " + st);
  fn.line("  " + sc + " = hymir.read " + sn + ", " + ct + " : " + st + ", " +
          vecN + " -> " + vecP);
  fn.line("  " + dx + " = hymir.scale " + xt + ", " + dh + " : " + vecP +
          ", f32");
  fn.line("  " + yt + " = arith.addf " + sc + ", " + dx + " : " + vecP);
  fn.line("  hymir.yield " + yt + ", " + sn + " : " + vecP + ", " + st);
  fn.line("}");

  fn.line("// Gated RMSNorm (norm_before_gate = False): rmsnorm(y · silu(z)) "
          "· w, per group of " + S(di / g) + " channels; then out_proj.");
  std::string yf = collapse(fn, ys, h, pd);
  std::string yg = generic(
      fn, {{yf, t3(di), "#id3"}, {z, t3(di), "#id3"}}, t3(di), "#id3", "", 3,
      0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string sz = silu(fn, a[1]), r = fn.fresh("r");
        fn.line("  " + r + " = arith.mulf " + a[0] + ", " + sz + " : f32");
        return r;
      });
  std::string yn;
  if (g == 1) {
    yn = norm(fn, yg, t3(di), wnorm, di, NormKind::Plain, m.normEps);
  } else {
    int64_t gs = di / g;
    std::string one = fn.fresh("one");
    fn.line(one + " = arith.constant dense<1.0> : " + tw({gs}));
    std::string n4 = fn.fresh("n");
    fn.line(n4 + " = hymir.rms_norm " + expand(fn, yg, g, gs) + ", " + one +
            " {eps = " + F(m.normEps) + " : f32} : " + t4(g, gs) + ", " +
            tw({gs}));
    std::string nf = collapse(fn, n4, g, gs);
    yn = generic(fn, {{nf, t3(di), "#id3"}, {wnorm, tw({di}), "#ch3"}}, t3(di),
                 "#id3", "", 3, 0,
                 [&](Fn &fn, const std::vector<std::string> &a) {
                   std::string r = fn.fresh("r");
                   fn.line("  " + r + " = arith.mulf " + a[0] + ", " + a[1] +
                           " : f32");
                   return r;
                 });
  }
  y = linear(fn, yn, di, wout, d);
  states = {convOut, sT};
}

void Builder::emitMamba1(Fn &fn, const LayerSpec &layer, const std::string &x,
                         std::string &y, std::vector<std::string> &states) {
  const Mamba1Spec &m = layer.mamba1;
  int64_t d = spec.hidden, di = m.inner, n = m.stateSize, r = m.dtRank,
          kw = m.convKernel;
  std::string p = layer.prefix + layer.mixerName + ".";
  std::string win =
      load(fn, p + "in_proj.weight", {2 * di, d}, WeightInit::FanIn);
  std::string wconv =
      load(fn, p + "conv1d.weight", {di, 1, kw}, WeightInit::FanIn);
  std::string bconv;
  if (m.convBias)
    bconv = load(fn, p + "conv1d.bias", {di}, WeightInit::NearZero);
  std::string wx =
      load(fn, p + "x_proj.weight", {r + 2 * n, di}, WeightInit::FanIn);
  std::string wdt = load(fn, p + "dt_proj.weight", {di, r}, WeightInit::FanIn);
  std::string bdt = load(fn, p + "dt_proj.bias", {di}, WeightInit::DtBias);
  std::string aLog = load(fn, p + "A_log", {di, n}, WeightInit::ALog);
  std::string dSkip = load(fn, p + "D", {di}, WeightInit::NearOne);
  std::string wout = load(fn, p + "out_proj.weight", {d, di}, WeightInit::FanIn);
  std::string wdtn, wbn, wcn;
  if (m.innerNorms) {
    wdtn = load(fn, p + "dt_layernorm.weight", {r}, WeightInit::NearOne);
    wbn = load(fn, p + "b_layernorm.weight", {n}, WeightInit::NearOne);
    wcn = load(fn, p + "c_layernorm.weight", {n}, WeightInit::NearOne);
  }

  fn.line("// in_proj: [x " + S(di) + " | z " + S(di) + "]; short conv + SiLU "
          "on x, carrying the last " + S(kw - 1) + " inputs.");
  std::string xz = linear(fn, x, d, win, 2 * di);
  std::string xs = slice3(fn, xz, 2 * di, 0, di);
  std::string z = slice3(fn, xz, 2 * di, di, di);
  std::string wc = fn.fresh("wc");
  fn.line(wc + " = tensor.collapse_shape " + wconv + " [[0, 1], [2]] : " +
          tw({di, 1, kw}) + " into " + tw({di, kw}));
  std::string convT = tb({kw - 1, di});
  std::string xc = fn.fresh("x_c"), convOut = fn.fresh("conv_out");
  fn.line(xc + ", " + convOut + " = hymir.causal_conv1d " + xs + ", " + wc +
          (m.convBias ? " bias(" + bconv + ")" : std::string()) +
          " state(%conv) {activation = #hymir.activation<silu>} : " + t3(di) +
          ", " + tw({di, kw}) + (m.convBias ? ", " + tw({di}) : std::string()) +
          ", " + convT + " -> " + t3(di) + ", " + convT);
  fn.line("// x_proj: [dt " + S(r) + " | B " + S(n) + " | C " + S(n) + "]" +
          (m.innerNorms ? ", each RMS-normed (dt/b/c_layernorm)" : "") +
          "; dt_proj.");
  std::string ssm = linear(fn, xc, di, wx, r + 2 * n);
  std::string dt = slice3(fn, ssm, r + 2 * n, 0, r);
  std::string bm = slice3(fn, ssm, r + 2 * n, r, n);
  std::string cm = slice3(fn, ssm, r + 2 * n, r + n, n);
  if (m.innerNorms) {
    dt = norm(fn, dt, t3(r), wdtn, r, NormKind::Plain, spec.eps);
    bm = norm(fn, bm, t3(n), wbn, n, NormKind::Plain, spec.eps);
    cm = norm(fn, cm, t3(n), wcn, n, NormKind::Plain, spec.eps);
  }
  std::string delta = linear(fn, dt, r, wdt, di);

  fn.line("// Selective scan: h ← exp(Δ ⊙ A) ⊙ h + (Δ ⊙ x) ⊗ B,  y = h C + D ⊙ x,"
          "  out = y ⊙ silu(z);  Δ = softplus(dt_proj(dt) + bias).");
  std::string aExp = fn.fresh("A_exp"), aNeg = fn.fresh("A");
  fn.line(aExp + " = math.exp " + aLog + " : " + tw({di, n}));
  fn.line(aNeg + " = arith.negf " + aExp + " : " + tw({di, n}));
  std::string vd = tw({di}), vn = tw({n}), st = tw({di, n});
  std::string ys = fn.fresh("y"), sT = fn.fresh("S_T");
  fn.line(ys + ", " + sT + " = hymir.scan");
  fn.line("    ins(" + xc + ", " + delta + ", " + bm + ", " + cm + ", " + z +
          " : " + t3(di) + ", " + t3(di) + ", " + t3(n) + ", " + t3(n) + ", " +
          t3(di) + ")");
  fn.line("    params(" + aNeg + ", " + dSkip + ", " + bdt + " : " + st + ", " +
          vd + ", " + vd + ")");
  fn.line("    inits(%S : " + tb({di, n}) + ") -> (" + t3(di) + ") {");
  std::string ut = fn.fresh("u_t"), dtt = fn.fresh("dt_t"),
              bt = fn.fresh("B_t"), ct = fn.fresh("C_t"), zt = fn.fresh("z_t"),
              ap = fn.fresh("A_p"), dp = fn.fresh("D_p"), bp = fn.fresh("bias_p"),
              hS = fn.fresh("h");
  fn.line("^bb0(" + ut + ": " + vd + ", " + dtt + ": " + vd + ", " + bt + ": " +
          vn + ", " + ct + ": " + vn + ", " + zt + ": " + vd + ", " + ap + ": " +
          st + ", " + dp + ": " + vd + ", " + bp + ": " + vd + ", " + hS +
          ": " + st + "):");
  auto v = [&](const char *hint) { return fn.fresh(hint); };
  std::string zero = v("zero"), one = v("one"), s0 = v("v"), sa = v("abs"),
              sn = v("nabs"), se = v("exp"), sl = v("log1p"), sp = v("pos"),
              delt = v("delta"), da = v("dA"), dec = v("decay"),
              hd = v("h_decayed"), du = v("dt_u"), upd = v("upd"),
              hn = v("h_new"), hc = v("hC"), dx = v("Du"), yt = v("y_t"),
              zn = v("z_neg"), ze = v("z_exp"), zd = v("z_den"), zs = v("z_sig"),
              zsl = v("z_silu"), ot = v("out_t");
  fn.line("  " + zero + " = arith.constant dense<0.0> : " + vd);
  fn.line("  " + one + " = arith.constant dense<1.0> : " + vd);
  fn.line("  " + s0 + " = arith.addf " + dtt + ", " + bp + " : " + vd);
  fn.line("  " + sa + " = math.absf " + s0 + " : " + vd);
  fn.line("  " + sn + " = arith.negf " + sa + " : " + vd);
  fn.line("  " + se + " = math.exp " + sn + " : " + vd);
  fn.line("  " + sl + " = math.log1p " + se + " : " + vd);
  fn.line("  " + sp + " = arith.maximumf " + s0 + ", " + zero + " : " + vd);
  fn.line("  " + delt + " = arith.addf " + sp + ", " + sl + " : " + vd);
  fn.line("  " + da + " = hymir.scale " + ap + ", " + delt + " along rows : " +
          st + ", " + vd);
  fn.line("  " + dec + " = math.exp " + da + " : " + st);
  fn.line("  " + hd + " = arith.mulf " + dec + ", " + hS + " : " + st);
  fn.line("  " + du + " = arith.mulf " + delt + ", " + ut + " : " + vd);
  fn.line("  " + upd + " = hymir.outer " + du + ", " + bt + " : " + vd + ", " +
          vn + " -> " + st);
  fn.line("  " + hn + " = arith.addf " + hd + ", " + upd + " : " + st);
  fn.line("  " + hc + " = hymir.read " + hn + ", " + ct + " along cols : " + st +
          ", " + vn + " -> " + vd);
  fn.line("  " + dx + " = arith.mulf " + dp + ", " + ut + " : " + vd);
  fn.line("  " + yt + " = arith.addf " + hc + ", " + dx + " : " + vd);
  fn.line("  " + zn + " = arith.negf " + zt + " : " + vd);
  fn.line("  " + ze + " = math.exp " + zn + " : " + vd);
  fn.line("  " + zd + " = arith.addf " + one + ", " + ze + " : " + vd);
  fn.line("  " + zs + " = arith.divf " + one + ", " + zd + " : " + vd);
  fn.line("  " + zsl + " = arith.mulf " + zt + ", " + zs + " : " + vd);
  fn.line("  " + ot + " = arith.mulf " + yt + ", " + zsl + " : " + vd);
  fn.line("  hymir.yield " + ot + ", " + hn + " : " + vd + ", " + st);
  fn.line("}");
  y = linear(fn, ys, di, wout, d);
  states = {convOut, sT};
}

std::string Builder::addBias(Fn &fn, const std::string &x,
                             const std::string &b, int64_t d) {
  return generic(fn, {{x, t3(d), "#id3"}, {b, tw({d}), "#ch3"}}, t3(d), "#id3",
                 "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
                   std::string r = fn.fresh("r");
                   fn.line("  " + r + " = arith.addf " + a[0] + ", " + a[1] +
                           " : f32");
                   return r;
                 });
}

/// gelu_tanh(v) = 0.5 v (1 + tanh(√(2/π) (v + 0.044715 v³))).
std::string Builder::geluTanh(Fn &fn, const std::string &v) {
  std::string half = fn.fresh("half"), one = fn.fresh("one"),
              c = fn.fresh("c"), k = fn.fresh("k"), v2 = fn.fresh("v2"),
              v3 = fn.fresh("v3"), in = fn.fresh("in"), sc = fn.fresh("sc"),
              th = fn.fresh("th"), p = fn.fresh("p"), hv = fn.fresh("hv"),
              r = fn.fresh("gelu");
  fn.line("  " + half + " = arith.constant 0.5 : f32");
  fn.line("  " + one + " = arith.constant 1.0 : f32");
  fn.line("  " + c + " = arith.constant " + F(std::sqrt(2.0 / M_PI)) + " : f32");
  fn.line("  " + k + " = arith.constant 4.471500000e-02 : f32");
  fn.line("  " + v2 + " = arith.mulf " + v + ", " + v + " : f32");
  fn.line("  " + v3 + " = arith.mulf " + v2 + ", " + v + " : f32");
  fn.line("  " + in + " = math.fma " + k + ", " + v3 + ", " + v + " : f32");
  fn.line("  " + sc + " = arith.mulf " + c + ", " + in + " : f32");
  fn.line("  " + th + " = math.tanh " + sc + " : f32");
  fn.line("  " + p + " = arith.addf " + one + ", " + th + " : f32");
  fn.line("  " + hv + " = arith.mulf " + half + ", " + v + " : f32");
  fn.line("  " + r + " = arith.mulf " + hv + ", " + p + " : f32");
  return r;
}

/// gelu(v) = 0.5 v (1 + erf(v / √2)) (PyTorch's exact GELU).
std::string Builder::geluErf(Fn &fn, const std::string &v) {
  std::string half = fn.fresh("half"), one = fn.fresh("one"), c = fn.fresh("c"),
              s = fn.fresh("s"), e = fn.fresh("erf"), p = fn.fresh("p"),
              hv = fn.fresh("hv"), r = fn.fresh("gelu");
  fn.line("  " + half + " = arith.constant 0.5 : f32");
  fn.line("  " + one + " = arith.constant 1.0 : f32");
  fn.line("  " + c + " = arith.constant " + F(1.0 / std::sqrt(2.0)) + " : f32");
  fn.line("  " + s + " = arith.mulf " + v + ", " + c + " : f32");
  fn.line("  " + e + " = math.erf " + s + " : f32");
  fn.line("  " + p + " = arith.addf " + one + ", " + e + " : f32");
  fn.line("  " + hv + " = arith.mulf " + half + ", " + v + " : f32");
  fn.line("  " + r + " = arith.mulf " + hv + ", " + p + " : f32");
  return r;
}

void Builder::emitRgLru(Fn &fn, const LayerSpec &layer, const std::string &x,
                        std::string &y, std::vector<std::string> &states) {
  const RgLruSpec &r = layer.rglru;
  int64_t d = spec.hidden, w = r.width, nb = r.blocks, bw = r.width / r.blocks,
          kw = r.convKernel;
  std::string p = layer.prefix + layer.mixerName + ".";
  std::string wy = load(fn, p + "linear_y.weight", {w, d}, WeightInit::FanIn);
  std::string by = load(fn, p + "linear_y.bias", {w}, WeightInit::NearZero);
  std::string wx = load(fn, p + "linear_x.weight", {w, d}, WeightInit::FanIn);
  std::string bx = load(fn, p + "linear_x.bias", {w}, WeightInit::NearZero);
  std::string wo = load(fn, p + "linear_out.weight", {d, w}, WeightInit::FanIn);
  std::string bo = load(fn, p + "linear_out.bias", {d}, WeightInit::NearZero);
  std::string wconv =
      load(fn, p + "conv_1d.weight", {w, 1, kw}, WeightInit::FanIn);
  std::string bconv = load(fn, p + "conv_1d.bias", {w}, WeightInit::NearZero);
  std::string q = p + "rg_lru.";
  std::string param =
      load(fn, q + "recurrent_param", {w}, WeightInit::NearZero);
  std::string wig = load(fn, q + "input_gate_weight", {nb, bw, bw},
                         WeightInit::FanIn);
  std::string big =
      load(fn, q + "input_gate_bias", {nb, bw}, WeightInit::NearZero);
  std::string wrg = load(fn, q + "recurrent_gate_weight", {nb, bw, bw},
                         WeightInit::FanIn);
  std::string brg =
      load(fn, q + "recurrent_gate_bias", {nb, bw}, WeightInit::NearZero);

  fn.line("// y branch: gelu_tanh(linear_y x); x branch: linear_x x → short "
          "conv (bias, no activation).");
  std::string yb = generic(
      fn, {{addBias(fn, linear(fn, x, d, wy, w), by, w), t3(w), "#id3"}}, t3(w),
      "#id3", "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        return geluTanh(fn, a[0]);
      });
  std::string xb = addBias(fn, linear(fn, x, d, wx, w), bx, w);
  std::string wc = fn.fresh("wc");
  fn.line(wc + " = tensor.collapse_shape " + wconv + " [[0, 1], [2]] : " +
          tw({w, 1, kw}) + " into " + tw({w, kw}));
  std::string convT = tb({kw - 1, w});
  std::string xc = fn.fresh("x_c"), convOut = fn.fresh("conv_out");
  fn.line(xc + ", " + convOut + " = hymir.causal_conv1d " + xb + ", " + wc +
          " bias(" + bconv + ") state(%conv) : " + t3(w) + ", " + tw({w, kw}) +
          ", " + tw({w}) + ", " + convT + " -> " + t3(w) + ", " + convT);

  fn.line("// RG-LRU gates, block-diagonal over " + S(nb) + " blocks of " +
          S(bw) + ": sigmoid(x_blk W_blk + b_blk).");
  std::string xh = expand(fn, xc, nb, bw);
  auto gate = [&](const std::string &wgt, const std::string &bias) {
    std::string em = fn.fresh("e"), z = fn.fresh("z"), g = fn.fresh("gate");
    fn.line(em + " = tensor.empty(%B, %T) : " + t4(nb, bw));
    fn.line(z + " = linalg.fill ins(%zero : f32) outs(" + em + " : " +
            t4(nb, bw) + ") -> " + t4(nb, bw));
    fn.line(g + " = linalg.contract indexing_maps = [#gx, #gw, #gy] ins(" + xh +
            ", " + wgt + " : " + t4(nb, bw) + ", " + tw({nb, bw, bw}) +
            ") outs(" + z + " : " + t4(nb, bw) + ") -> " + t4(nb, bw));
    std::string s = generic(
        fn, {{g, t4(nb, bw), "#id4"}, {bias, tw({nb, bw}), "#hb4"}}, t4(nb, bw),
        "#id4", "", 4, 0, [&](Fn &fn, const std::vector<std::string> &a) {
          std::string v = fn.fresh("v");
          fn.line("  " + v + " = arith.addf " + a[0] + ", " + a[1] + " : f32");
          return sigmoid(fn, v);
        });
    return collapse(fn, s, nb, bw);
  };
  std::string gx = gate(wig, big), ga = gate(wrg, brg);
  fn.line("// log a = −8 · r · softplus(Λ);  u = x · i · (1 at position 0, "
          "else sqrt(1 − a²)).");
  std::string la = generic(
      fn, {{ga, t3(w), "#id3"}, {param, tw({w}), "#ch3"}}, t3(w), "#id3", "", 3,
      0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string sp = softplus(fn, a[1]), m8 = fn.fresh("m8"),
                    t1 = fn.fresh("t"), r = fn.fresh("log_a");
        fn.line("  " + m8 + " = arith.constant -8.0 : f32");
        fn.line("  " + t1 + " = arith.mulf " + m8 + ", " + a[0] + " : f32");
        fn.line("  " + r + " = arith.mulf " + t1 + ", " + sp + " : f32");
        return r;
      });
  std::string aa = generic(fn, {{la, t3(w), "#id3"}}, t3(w), "#id3", "", 3, 0,
                           [&](Fn &fn, const std::vector<std::string> &a) {
                             std::string r = fn.fresh("a");
                             fn.line("  " + r + " = math.exp " + a[0] +
                                     " : f32");
                             return r;
                           });
  std::string u = generic(
      fn, {{xc, t3(w), "#id3"}, {gx, t3(w), "#id3"}, {la, t3(w), "#id3"}},
      t3(w), "#id3", "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string t = fn.fresh("t"), pos = fn.fresh("pos"),
                    first = fn.fresh("first"), two = fn.fresh("two"),
                    one = fn.fresh("one"), l2 = fn.fresh("l2"),
                    a2 = fn.fresh("a2"), om = fn.fresh("om"),
                    sq = fn.fresh("sq"), mult = fn.fresh("mult"),
                    xi = fn.fresh("xi"), r = fn.fresh("u");
        fn.line("  " + t + " = linalg.index 1 : index");
        fn.line("  " + pos + " = arith.addi %pos0, " + t + " : index");
        fn.line("  " + first + " = arith.cmpi eq, " + pos + ", %c0 : index");
        fn.line("  " + two + " = arith.constant 2.0 : f32");
        fn.line("  " + one + " = arith.constant 1.0 : f32");
        fn.line("  " + l2 + " = arith.mulf " + two + ", " + a[2] + " : f32");
        fn.line("  " + a2 + " = math.exp " + l2 + " : f32");
        fn.line("  " + om + " = arith.subf " + one + ", " + a2 + " : f32");
        fn.line("  " + sq + " = math.sqrt " + om + " : f32");
        fn.line("  " + mult + " = arith.select " + first + ", " + one + ", " +
                sq + " : f32");
        fn.line("  " + xi + " = arith.mulf " + a[0] + ", " + a[1] + " : f32");
        fn.line("  " + r + " = arith.mulf " + xi + ", " + mult + " : f32");
        return r;
      });
  fn.line("// h_t = a_t ⊙ h_{t−1} + u_t");
  std::string vw = tw({w});
  std::string hs = fn.fresh("h_seq"), sT = fn.fresh("S_T");
  fn.line(hs + ", " + sT + " = hymir.scan ins(" + aa + ", " + u + " : " + t3(w) +
          ", " + t3(w) + ") inits(%S : " + tb({w}) + ") -> (" + t3(w) + ") {");
  std::string at = fn.fresh("a_t"), ut = fn.fresh("u_t"), hS = fn.fresh("h"),
              hd = fn.fresh("h_decayed"), hn = fn.fresh("h_new");
  fn.line("^bb0(" + at + ": " + vw + ", " + ut + ": " + vw + ", " + hS + ": " +
          vw + "):");
  fn.line("  " + hd + " = arith.mulf " + at + ", " + hS + " : " + vw);
  fn.line("  " + hn + " = arith.addf " + hd + ", " + ut + " : " + vw);
  fn.line("  hymir.yield " + hn + ", " + hn + " : " + vw + ", " + vw);
  fn.line("}");
  std::string prod = generic(
      fn, {{hs, t3(w), "#id3"}, {yb, t3(w), "#id3"}}, t3(w), "#id3", "", 3, 0,
      [&](Fn &fn, const std::vector<std::string> &a) {
        std::string r = fn.fresh("r");
        fn.line("  " + r + " = arith.mulf " + a[0] + ", " + a[1] + " : f32");
        return r;
      });
  y = addBias(fn, linear(fn, prod, w, wo, d), bo, d);
  states = {convOut, sT};
}

/// cap · tanh(v / cap).
static std::string softCap(Fn &fn, const std::string &v, double cap) {
  std::string c = fn.fresh("cap"), ic = fn.fresh("icap"), s = fn.fresh("s"),
              t = fn.fresh("t"), r = fn.fresh("capped");
  fn.line("  " + c + " = arith.constant " + F(cap) + " : f32");
  fn.line("  " + ic + " = arith.constant " + F(1.0 / cap) + " : f32");
  fn.line("  " + s + " = arith.mulf " + v + ", " + ic + " : f32");
  fn.line("  " + t + " = math.tanh " + s + " : f32");
  fn.line("  " + r + " = arith.mulf " + c + ", " + t + " : f32");
  return r;
}

void Builder::emitMLstm(Fn &fn, const LayerSpec &layer, const std::string &x,
                        std::string &y, std::vector<std::string> &states) {
  const MLstmSpec &m = layer.mlstm;
  int64_t d = spec.hidden, h = m.heads, dk = m.qkHeadDim, dv = m.vHeadDim;
  int64_t qk = h * dk, vd = h * dv;
  std::string p = layer.prefix + layer.mixerName + ".";
  std::string wq = load(fn, p + "q.weight", {qk, d}, WeightInit::FanIn);
  std::string wk = load(fn, p + "k.weight", {qk, d}, WeightInit::FanIn);
  std::string wv = load(fn, p + "v.weight", {vd, d}, WeightInit::FanIn);
  std::string wo =
      load(fn, p + "ogate_preact.weight", {vd, d}, WeightInit::FanIn);
  std::string wi =
      load(fn, p + "igate_preact.weight", {h, d}, WeightInit::FanIn);
  std::string bi =
      load(fn, p + "igate_preact.bias", {h}, WeightInit::NearZero);
  std::string wf =
      load(fn, p + "fgate_preact.weight", {h, d}, WeightInit::FanIn);
  std::string bf = load(fn, p + "fgate_preact.bias", {h}, WeightInit::NearOne);
  std::string wn =
      load(fn, p + "multihead_norm.weight", {vd}, WeightInit::NearOne);
  std::string wout = load(fn, p + "out_proj.weight", {d, vd}, WeightInit::FanIn);

  fn.line("// q, k [" + S(h) + " × " + S(dk) + "], v [" + S(h) + " × " + S(dv) +
          "]; gate pre-activations soft-capped at " + F(m.gateSoftCap) + ".");
  std::string q = expand(fn, linear(fn, x, d, wq, qk), h, dk);
  std::string k = expand(fn, linear(fn, x, d, wk, qk), h, dk);
  std::string v = expand(fn, linear(fn, x, d, wv, vd), h, dv);
  auto gatePre = [&](const std::string &w, const std::string &b) {
    return generic(fn, {{addBias(fn, linear(fn, x, d, w, h), b, h), t3(h), "#id3"}},
                   t3(h), "#id3", "", 3, 0,
                   [&](Fn &fn, const std::vector<std::string> &a) {
                     return softCap(fn, a[0], m.gateSoftCap);
                   });
  };
  std::string ig = gatePre(wi, bi), fg = gatePre(wf, bf);

  fn.line("// The stabilised mLSTM (xLSTM's mlstm_recurrent_step): m_t = max(logσ(f) + "
          "m, i), C_t = f' C + i' k ⊗ v, n_t = f' n + i' k,");
  fn.line("// h_t = C_tᵀ q̂ / (max(|n_t · q̂|, exp(−m_t)) + " + F(m.eps) +
          "), q̂ = q / √" + S(dk) + ".");
  std::string vk = tw({dk}), vvv = tw({dv}), st = tw({dk, dv});
  std::string hs = fn.fresh("h_seq"), cT = fn.fresh("C_T"), nT = fn.fresh("n_T"),
              mT = fn.fresh("m_T");
  fn.line(hs + ", " + cT + ", " + nT + ", " + mT + " = hymir.scan heads = " +
          S(h));
  fn.line("    ins(" + q + ", " + k + ", " + v + ", " + ig + ", " + fg + " : " +
          t4(h, dk) + ", " + t4(h, dk) + ", " + t4(h, dv) + ", " + t3(h) + ", " +
          t3(h) + ")");
  fn.line("    inits(%C, %n, %m : " + tb({h, dk, dv}) + ", " + tb({h, dk}) +
          ", " + tb({h}) + ") -> (" + t4(h, dv) + ") {");
  auto f = [&](const char *hint) { return fn.fresh(hint); };
  std::string qt = f("q_t"), kt = f("k_t"), vt = f("v_t"), it = f("i_t"),
              ft = f("f_t"), cS = f("C"), nS = f("n"), mS = f("m");
  fn.line("^bb0(" + qt + ": " + vk + ", " + kt + ": " + vk + ", " + vt + ": " +
          vvv + ", " + it + ": f32, " + ft + ": f32, " + cS + ": " + st + ", " +
          nS + ": " + vk + ", " + mS + ": f32):");
  std::string nf = f("nf");
  fn.line("  " + nf + " = arith.negf " + ft + " : f32");
  std::string sp = softplus(fn, nf);
  std::string lf = f("lf"), lfm = f("lf_m"), mn = f("m_new"), flog = f("f_log"),
              fgt = f("f_gate"), ilog = f("i_log"), igt = f("i_gate"),
              cd = f("C_decayed"), vi = f("v_i"), kv = f("kv"), cn = f("C_new"),
              nd = f("n_decayed"), ki = f("k_i"), nn = f("n_new"),
              sc = f("scale"), qs = f("q_s"), num = f("num"), nq = f("nq"),
              nqa = f("nq_abs"), mneg = f("m_neg"), mfl = f("m_floor"),
              dmax = f("den_max"), eps = f("eps"), den = f("den"),
              denv = f("den_v"), ht = f("h_t");
  fn.line("  " + lf + " = arith.negf " + sp + " : f32");
  fn.line("  " + lfm + " = arith.addf " + lf + ", " + mS + " : f32");
  fn.line("  " + mn + " = arith.maximumf " + lfm + ", " + it + " : f32");
  fn.line("  " + flog + " = arith.subf " + lfm + ", " + mn + " : f32");
  fn.line("  " + fgt + " = math.exp " + flog + " : f32");
  fn.line("  " + ilog + " = arith.subf " + it + ", " + mn + " : f32");
  fn.line("  " + igt + " = math.exp " + ilog + " : f32");
  fn.line("  " + cd + " = hymir.scale " + cS + ", " + fgt + " : " + st + ", f32");
  fn.line("  " + vi + " = hymir.scale " + vt + ", " + igt + " : " + vvv + ", f32");
  fn.line("  " + kv + " = hymir.outer " + kt + ", " + vi + " : " + vk + ", " +
          vvv + " -> " + st);
  fn.line("  " + cn + " = arith.addf " + cd + ", " + kv + " : " + st);
  fn.line("  " + nd + " = hymir.scale " + nS + ", " + fgt + " : " + vk + ", f32");
  fn.line("  " + ki + " = hymir.scale " + kt + ", " + igt + " : " + vk + ", f32");
  fn.line("  " + nn + " = arith.addf " + nd + ", " + ki + " : " + vk);
  fn.line("  " + sc + " = arith.constant " + F(1.0 / std::sqrt(double(dk))) +
          " : f32");
  fn.line("  " + qs + " = hymir.scale " + qt + ", " + sc + " : " + vk + ", f32");
  fn.line("  " + num + " = hymir.read " + cn + ", " + qs + " : " + st + ", " +
          vk + " -> " + vvv);
  fn.line("  " + nq + " = hymir.dot " + nn + ", " + qs + " : " + vk + ", " + vk +
          " -> f32");
  fn.line("  " + nqa + " = math.absf " + nq + " : f32");
  fn.line("  " + mneg + " = arith.negf " + mn + " : f32");
  fn.line("  " + mfl + " = math.exp " + mneg + " : f32");
  fn.line("  " + dmax + " = arith.maximumf " + nqa + ", " + mfl + " : f32");
  fn.line("  " + eps + " = arith.constant " + F(m.eps) + " : f32");
  fn.line("  " + den + " = arith.addf " + dmax + ", " + eps + " : f32");
  fn.line("  " + denv + " = tensor.splat " + den + " : " + vvv);
  fn.line("  " + ht + " = arith.divf " + num + ", " + denv + " : " + vvv);
  fn.line("  hymir.yield " + ht + ", " + cn + ", " + nn + ", " + mn + " : " +
          vvv + ", " + st + ", " + vk + ", f32");
  fn.line("}");

  fn.line("// Multi-head LayerNorm (no bias) · weight, times sigmoid(o), out_proj.");
  std::string ln = fn.fresh("ln");
  fn.line(ln + " = hymir.layer_norm " + hs + " {eps = " + F(spec.eps) +
          " : f32} : " + t4(h, dv));
  std::string hn = collapse(fn, ln, h, dv);
  std::string op = linear(fn, x, d, wo, vd);
  std::string out = generic(
      fn, {{hn, t3(vd), "#id3"}, {wn, tw({vd}), "#ch3"}, {op, t3(vd), "#id3"}},
      t3(vd), "#id3", "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string s = sigmoid(fn, a[2]), r1 = fn.fresh("r"),
                    r2 = fn.fresh("r");
        fn.line("  " + r1 + " = arith.mulf " + a[0] + ", " + a[1] + " : f32");
        fn.line("  " + r2 + " = arith.mulf " + r1 + ", " + s + " : f32");
        return r2;
      });
  y = linear(fn, out, vd, wout, d);
  states = {cT, nT, mT};
}

std::string Builder::blockNorm(Fn &fn, const LayerSpec &layer,
                               const std::string &x, const std::string &name) {
  int64_t d = spec.hidden;
  if (!layer.layerNormZeroCentred) {
    std::string w = load(fn, layer.prefix + name, {d}, normInit(spec.normKind));
    return norm(fn, x, t3(d), w, d, spec.normKind, spec.eps);
  }
  std::string w = load(fn, layer.prefix + name, {d}, WeightInit::NearZero);
  std::string n = fn.fresh("ln");
  fn.line(n + " = hymir.layer_norm " + x + " {eps = " + F(layer.blockNormEps) +
          " : f32} : " + t3(d));
  return timesOnePlus(fn, n, w, d);
}

std::string Builder::timesOnePlus(Fn &fn, const std::string &x,
                                  const std::string &w, int64_t d) {
  return generic(
      fn, {{x, t3(d), "#id3"}, {w, tw({d}), "#ch3"}}, t3(d), "#id3", "", 3, 0,
      [&](Fn &fn, const std::vector<std::string> &a) {
        std::string one = fn.fresh("one"), w1 = fn.fresh("w1"),
                    r = fn.fresh("r");
        fn.line("  " + one + " = arith.constant 1.0 : f32");
        fn.line("  " + w1 + " = arith.addf " + a[1] + ", " + one + " : f32");
        fn.line("  " + r + " = arith.mulf " + a[0] + ", " + w1 + " : f32");
        return r;
      });
}

std::string Builder::headwise(Fn &fn, const std::string &x,
                              const std::string &w, int64_t h, int64_t dh) {
  std::string xh = expand(fn, x, h, dh);
  std::string e = fn.fresh("e"), z = fn.fresh("z"), y = fn.fresh("hw");
  fn.line(e + " = tensor.empty(%B, %T) : " + t4(h, dh));
  fn.line(z + " = linalg.fill ins(%zero : f32) outs(" + e + " : " + t4(h, dh) +
          ") -> " + t4(h, dh));
  fn.line(y + " = linalg.contract indexing_maps = [#hx, #hw, #hy] ins(" + xh +
          ", " + w + " : " + t4(h, dh) + ", " + tw({h, dh, dh}) + ") outs(" +
          z + " : " + t4(h, dh) + ") -> " + t4(h, dh));
  return y;
}

void Builder::emitSLstm(Fn &fn, const LayerSpec &layer, const std::string &x,
                        std::string &y, std::vector<std::string> &states) {
  const SLstmSpec &sl = layer.slstm;
  int64_t d = spec.hidden, h = sl.heads, dh = sl.headDim, kw = sl.convKernel;
  std::string p = layer.prefix + layer.mixerName + ".";
  std::string wconv, bconv;
  if (kw > 0) {
    wconv = load(fn, p + "conv1d.conv.weight", {d, 1, kw}, WeightInit::FanIn);
    bconv = load(fn, p + "conv1d.conv.bias", {d}, WeightInit::NearZero);
  }
  // The library computes its input gate with `fgate` and its forget gate
  // with `igate` (sLSTMLayer.forward: i, f = fgate(x_conv), igate(x_conv));
  // the checkpoint's names are kept, so are their roles.
  std::string wi = load(fn, p + "fgate.weight", {h, dh, dh}, WeightInit::FanIn);
  std::string wf = load(fn, p + "igate.weight", {h, dh, dh}, WeightInit::FanIn);
  std::string wz = load(fn, p + "zgate.weight", {h, dh, dh}, WeightInit::FanIn);
  std::string wo = load(fn, p + "ogate.weight", {h, dh, dh}, WeightInit::FanIn);
  std::vector<int64_t> rShape = sl.vanillaLayout
                                    ? std::vector<int64_t>{h, 4 * dh, dh}
                                    : std::vector<int64_t>{h, dh, 4 * dh};
  std::string r =
      load(fn, p + "slstm_cell._recurrent_kernel_", rShape, WeightInit::FanIn);
  std::string bias =
      load(fn, p + "slstm_cell._bias_", {4 * d}, WeightInit::NearZero);
  std::string wgn =
      load(fn, p + "group_norm.weight", {d}, WeightInit::NearZero);

  std::string xc = x;
  if (kw > 0) {
    fn.line("// Short conv (bias) + SiLU feeding the i and f gates, carrying "
            "the last " +
            S(kw - 1) + " inputs.");
    std::string wc = fn.fresh("wc");
    fn.line(wc + " = tensor.collapse_shape " + wconv +
            " [[0, 1], [2]] : " + tw({d, 1, kw}) + " into " + tw({d, kw}));
    std::string convT = tb({kw - 1, d});
    std::string convOut = fn.fresh("conv_out");
    xc = fn.fresh("x_c");
    fn.line(xc + ", " + convOut + " = hymir.causal_conv1d " + x + ", " + wc +
            " bias(" + bconv +
            ") state(%conv) {activation = "
            "#hymir.activation<silu>} : " +
            t3(d) + ", " + tw({d, kw}) + ", " + tw({d}) + ", " + convT +
            " -> " + t3(d) + ", " + convT);
    states.push_back(convOut);
  }
  fn.line("// Head-wise gate pre-activations [" + S(h) + " × " + S(dh) +
          "]: i, f from the conv branch, z, o from the normed input.");
  std::string ig = headwise(fn, xc, wi, h, dh),
              fg = headwise(fn, xc, wf, h, dh), zg = headwise(fn, x, wz, h, dh),
              og = headwise(fn, x, wo, h, dh);
  // The bias per head [H, 4·DH] (gate-major inside a head).
  std::string bh = fn.fresh("bias_h");
  std::string bt = tw({h, 4 * dh});
  if (sl.vanillaLayout) {
    std::string b3 = fn.fresh("b3"), e = fn.fresh("e"), t = fn.fresh("bt");
    fn.line(b3 + " = tensor.expand_shape " + bias +
            " [[0, 1, 2]] output_shape [4, " + S(h) + ", " + S(dh) +
            "] : " + tw({4 * d}) + " into " + tw({4, h, dh}));
    fn.line(e + " = tensor.empty() : " + tw({h, 4, dh}));
    fn.line(t + " = linalg.transpose ins(" + b3 + " : " + tw({4, h, dh}) +
            ") outs(" + e + " : " + tw({h, 4, dh}) +
            ") permutation = [1, 0, 2]");
    fn.line(bh + " = tensor.collapse_shape " + t +
            " [[0], [1, 2]] : " + tw({h, 4, dh}) + " into " + bt);
  } else {
    fn.line(bh + " = tensor.expand_shape " + bias + " [[0, 1]] output_shape [" +
            S(h) + ", " + S(4 * dh) + "] : " + tw({4 * d}) + " into " + bt);
  }

  fn.line("// The sLSTM (OPS.md §14), per head: raw = pre + R h_{t−1} + b; "
          "m_t = max(i, logσ(f) + m) (i on the first step, n = 0),");
  fn.line("// c = f' c + i' tanh(z), n = f' n + i', h = σ(o) c / n.");
  std::string v = tw({dh}), v4 = tw({4 * dh}), rt = tw(rShape);
  std::string rp = tw({rShape[1], rShape[2]});
  std::string hs = fn.fresh("h_seq"), hT = fn.fresh("h_T"),
              cT = fn.fresh("c_T"), nT = fn.fresh("n_T"), mT = fn.fresh("m_T");
  std::string sT = tb({h, dh});
  fn.line(hs + ", " + hT + ", " + cT + ", " + nT + ", " + mT +
          " = hymir.recurrence heads = " + S(h));
  fn.line("    ins(" + ig + ", " + fg + ", " + zg + ", " + og + " : " +
          t4(h, dh) + ", " + t4(h, dh) + ", " + t4(h, dh) + ", " + t4(h, dh) +
          ")");
  fn.line("    params(" + r + ", " + bh + " : " + rt + ", " + bt + ")");
  fn.line("    inits(%hs, %c, %n, %m : " + sT + ", " + sT + ", " + sT + ", " +
          sT + ") -> (" + t4(h, dh) + ") {");
  auto f = [&](const char *hint) { return fn.fresh(hint); };
  std::string it = f("i_t"), ft = f("f_t"), zt = f("z_t"), ot = f("o_t"),
              rP = f("R"), bP = f("b"), hP = f("h_prev"), cS = f("c"),
              nS = f("n"), mS = f("m");
  fn.line("^bb0(" + it + ": " + v + ", " + ft + ": " + v + ", " + zt + ": " +
          v + ", " + ot + ": " + v + ", " + rP + ": " + rp + ", " + bP + ": " +
          v4 + ", " + hP + ": " + v + ", " + cS + ": " + v + ", " + nS + ": " +
          v + ", " + mS + ": " + v + "):");
  auto L = [&](const std::string &s) { fn.line("  " + s); };
  std::string zero = f("zeros"), one = f("ones"), ry = f("Ry"), rb = f("Rb");
  L(zero + " = arith.constant dense<0.0> : " + v);
  L(one + " = arith.constant dense<1.0> : " + v);
  L(ry + " = hymir.read " + rP + ", " + hP +
    (sl.vanillaLayout ? " along cols" : "") + " : " + rp + ", " + v + " -> " +
    v4);
  L(rb + " = arith.addf " + ry + ", " + bP + " : " + v4);
  std::string raw[4];
  const std::string pre[4] = {it, ft, zt, ot};
  const char *names[4] = {"i_raw", "f_raw", "z_raw", "o_raw"};
  for (int g = 0; g < 4; ++g) {
    std::string sg = f("rg");
    L(sg + " = tensor.extract_slice " + rb + "[" + S(g * dh) + "] [" + S(dh) +
      "] [1] : " + v4 + " to " + v);
    raw[g] = f(names[g]);
    L(raw[g] + " = arith.addf " + pre[g] + ", " + sg + " : " + v);
  }
  // logσ(f) = −softplus(−f), softplus(x) = max(x, 0) + log1p(exp(−|x|)).
  std::string nf = f("nf"), ab = f("abs"), na = f("nabs"), ex = f("exp"),
              l1 = f("log1p"), ps = f("pos"), sp = f("softplus"), lf = f("lf"),
              lfm = f("lfm"), mx = f("m_max"), first = f("first"),
              mn = f("m_new"), il = f("i_log"), ia = f("i_gate"),
              fl = f("f_log"), fa = f("f_gate"), cd = f("c_decayed"),
              zt2 = f("z_tanh"), ci = f("c_in"), cn = f("c_new"),
              nd = f("n_decayed"), nn = f("n_new"), on = f("o_neg"),
              oe = f("o_exp"), od = f("o_den"), og2 = f("o_gate"), oc = f("oc"),
              hn = f("h_new");
  L(nf + " = arith.negf " + raw[1] + " : " + v);
  L(ab + " = math.absf " + nf + " : " + v);
  L(na + " = arith.negf " + ab + " : " + v);
  L(ex + " = math.exp " + na + " : " + v);
  L(l1 + " = math.log1p " + ex + " : " + v);
  L(ps + " = arith.maximumf " + nf + ", " + zero + " : " + v);
  L(sp + " = arith.addf " + ps + ", " + l1 + " : " + v);
  L(lf + " = arith.negf " + sp + " : " + v);
  L(lfm + " = arith.addf " + lf + ", " + mS + " : " + v);
  L(mx + " = arith.maximumf " + raw[0] + ", " + lfm + " : " + v);
  L(first + " = arith.cmpf oeq, " + nS + ", " + zero + " : " + v);
  L(mn + " = arith.select " + first + ", " + raw[0] + ", " + mx + " : " +
    "tensor<" + S(dh) + "xi1>, " + v);
  L(il + " = arith.subf " + raw[0] + ", " + mn + " : " + v);
  L(ia + " = math.exp " + il + " : " + v);
  L(fl + " = arith.subf " + lfm + ", " + mn + " : " + v);
  L(fa + " = math.exp " + fl + " : " + v);
  L(cd + " = arith.mulf " + fa + ", " + cS + " : " + v);
  L(zt2 + " = math.tanh " + raw[2] + " : " + v);
  L(ci + " = arith.mulf " + ia + ", " + zt2 + " : " + v);
  L(cn + " = arith.addf " + cd + ", " + ci + " : " + v);
  L(nd + " = arith.mulf " + fa + ", " + nS + " : " + v);
  L(nn + " = arith.addf " + nd + ", " + ia + " : " + v);
  L(on + " = arith.negf " + raw[3] + " : " + v);
  L(oe + " = math.exp " + on + " : " + v);
  L(od + " = arith.addf " + one + ", " + oe + " : " + v);
  L(og2 + " = arith.divf " + one + ", " + od + " : " + v);
  L(oc + " = arith.mulf " + og2 + ", " + cn + " : " + v);
  L(hn + " = arith.divf " + oc + ", " + nn + " : " + v);
  L("hymir.yield " + hn + ", " + hn + ", " + cn + ", " + nn + ", " + mn +
    " : " + v + ", " + v + ", " + v + ", " + v + ", " + v);
  fn.line("}");

  fn.line("// Multi-head LayerNorm (group norm per head, no bias) · (1 + "
          "group_norm.weight).");
  std::string ln = fn.fresh("ln");
  fn.line(ln + " = hymir.layer_norm " + hs + " {eps = " + F(sl.eps) +
          " : f32} : " + t4(h, dh));
  y = timesOnePlus(fn, collapse(fn, ln, h, dh), wgn, d);
  states.insert(states.end(), {hT, cT, nT, mT});
}

/// LayerNorm with weight and bias (`<name>.weight`, `<name>.bias`).
std::string Builder::layerNormAffine(Fn &fn, const std::string &x,
                                     const std::string &name, int64_t d) {
  std::string w = load(fn, name + ".weight", {d}, WeightInit::NearOne);
  std::string b = load(fn, name + ".bias", {d}, WeightInit::NearZero);
  std::string n = fn.fresh("ln");
  fn.line(n + " = hymir.layer_norm " + x + " {eps = " + F(spec.eps) +
          " : f32} : " + t3(d));
  return generic(fn, {{n, t3(d), "#id3"}, {w, tw({d}), "#ch3"}, {b, tw({d}), "#ch3"}},
                 t3(d), "#id3", "", 3, 0,
                 [&](Fn &fn, const std::vector<std::string> &a) {
                   std::string r = fn.fresh("r");
                   fn.line("  " + r + " = math.fma " + a[0] + ", " + a[1] +
                           ", " + a[2] + " : f32");
                   return r;
                 });
}

/// prev[t] = x[t − 1] (state for t = 0); last = x[T − 1].
void Builder::tokenShift(Fn &fn, const std::string &x, const std::string &state,
                         int64_t d, std::string &prev, std::string &last) {
  std::string cat = fn.fresh("cat"), tm1 = fn.fresh("tm1");
  prev = fn.fresh("prev");
  last = fn.fresh("last");
  fn.line(cat + " = tensor.concat dim(1) " + state + ", " + x + " : (" +
          tb({1, d}) + ", " + t3(d) + ") -> " + t3(d));
  fn.line(prev + " = tensor.extract_slice " + cat + "[0, 0, 0] [%B, %T, " +
          S(d) + "] [1, 1, 1] : " + t3(d) + " to " + t3(d));
  fn.line(tm1 + " = arith.subi %T, %c1 : index");
  fn.line(last + " = tensor.extract_slice " + x + "[0, " + tm1 + ", 0] [%B, 1, " +
          S(d) + "] [1, 1, 1] : " + t3(d) + " to " + tb({1, d}));
}

/// fla's LoRA: lora.2(act(lora.0 x)) (+ lora.2.bias).
std::string Builder::lora(Fn &fn, const std::string &x, const std::string &name,
                          int64_t rank, int64_t out, const char *activation,
                          bool bias) {
  int64_t d = spec.hidden;
  std::string w0 = load(fn, name + ".lora.0.weight", {rank, d}, WeightInit::FanIn);
  std::string w2 = load(fn, name + ".lora.2.weight", {out, rank}, WeightInit::FanIn);
  std::string hdn = linear(fn, x, d, w0, rank);
  std::string act = activation;
  if (act == "tanh" || act == "sigmoid")
    hdn = generic(fn, {{hdn, t3(rank), "#id3"}}, t3(rank), "#id3", "", 3, 0,
                  [&](Fn &fn, const std::vector<std::string> &a) {
                    if (act == "sigmoid")
                      return sigmoid(fn, a[0]);
                    std::string r = fn.fresh("tanh");
                    fn.line("  " + r + " = math.tanh " + a[0] + " : f32");
                    return r;
                  });
  std::string y = linear(fn, hdn, rank, w2, out);
  if (bias)
    y = addBias(fn, y, load(fn, name + ".lora.2.bias", {out}, WeightInit::NearZero),
                out);
  return y;
}

void Builder::emitRwkv7Layer(unsigned index, const LayerSpec &layer) {
  const Rwkv7Spec &r = layer.rwkv7;
  int64_t d = spec.hidden, h = r.heads, dk = r.keyDim, vd = r.valueDim,
          dv = vd / h, inter = r.intermediate;
  std::string p = layer.prefix, a_ = p + "attn.";
  std::vector<StateSpec> st = statesOf(layer);
  Fn fn;
  fn.prologue("%h", t3(d));
  std::string resid = "%h";
  if (r.first && r.preNorm)
    resid = layerNormAffine(fn, "%h", p + "pre_norm", d);
  std::string x = layerNormAffine(fn, resid, p + "attn_norm", d);

  fn.line("// Time mix: x_c = x + (x_{t−1} − x) · μ_c for c in r, w, k, v, a, g.");
  std::string prev, lastA;
  tokenShift(fn, x, "%shift_a", d, prev, lastA);
  auto mix = [&](const std::string &mu, const std::string &xx,
                 const std::string &pv) {
    return generic(fn, {{xx, t3(d), "#id3"}, {pv, t3(d), "#id3"}, {mu, tw({d}), "#ch3"}},
                   t3(d), "#id3", "", 3, 0,
                   [&](Fn &fn, const std::vector<std::string> &a) {
                     std::string df = fn.fresh("d"), r2 = fn.fresh("r");
                     fn.line("  " + df + " = arith.subf " + a[1] + ", " + a[0] +
                             " : f32");
                     fn.line("  " + r2 + " = math.fma " + df + ", " + a[2] + ", " +
                             a[0] + " : f32");
                     return r2;
                   });
  };
  auto mixParam = [&](const char *n) {
    std::string w = load(fn, a_ + n, {1, 1, d}, WeightInit::NearZero);
    std::string c = fn.fresh("mu");
    fn.line(c + " = tensor.collapse_shape " + w + " [[0, 1, 2]] : " +
            tw({1, 1, d}) + " into " + tw({d}));
    return mix(c, x, prev);
  };
  std::string xr = mixParam("x_r"), xw = mixParam("x_w"), xk = mixParam("x_k"),
              xv = mixParam("x_v"), xa = mixParam("x_a"), xg = mixParam("x_g");
  std::string rr = linear(fn, xr, d, load(fn, a_ + "r_proj.weight", {dk * h, d}, WeightInit::FanIn), dk * h);
  std::string kk0 = linear(fn, xk, d, load(fn, a_ + "k_proj.weight", {dk * h, d}, WeightInit::FanIn), dk * h);
  std::string vv = linear(fn, xv, d, load(fn, a_ + "v_proj.weight", {vd, d}, WeightInit::FanIn), vd);
  fn.line("// w = −e^{−1/2} · sigmoid(w_lora(x_w)) (log decay), a = sigmoid(a_lora(x_a)), "
          "g = g_lora(x_g).");
  std::string wl = lora(fn, xw, a_ + "w_lora", r.decayRank, dk * h, "tanh", true);
  std::string w = generic(fn, {{wl, t3(dk * h), "#id3"}}, t3(dk * h), "#id3", "", 3,
                          0, [&](Fn &fn, const std::vector<std::string> &a) {
                            std::string s = sigmoid(fn, a[0]), c = fn.fresh("c"),
                                        r2 = fn.fresh("w");
                            fn.line("  " + c + " = arith.constant " +
                                    F(-0.6065306597126334) + " : f32");
                            fn.line("  " + r2 + " = arith.mulf " + c + ", " + s +
                                    " : f32");
                            return r2;
                          });
  std::string av = generic(
      fn, {{lora(fn, xa, a_ + "a_lora", r.aRank, dk * h, "none", true), t3(dk * h), "#id3"}},
      t3(dk * h), "#id3", "", 3, 0,
      [&](Fn &fn, const std::vector<std::string> &a) { return sigmoid(fn, a[0]); });
  std::string g = lora(fn, xg, a_ + "g_lora", r.gateRank, vd, "sigmoid", false);
  std::string vfirst;
  if (r.first) {
    vfirst = vv;
  } else {
    fn.line("// Value residual: v = lerp(v, v_first, sigmoid(v_lora(x_v))).");
    std::string vl = lora(fn, xv, a_ + "v_lora", r.vRank, vd, "none", true);
    vv = generic(fn, {{vv, t3(vd), "#id3"}, {"%v_first", t3(vd), "#id3"}, {vl, t3(vd), "#id3"}},
                 t3(vd), "#id3", "", 3, 0,
                 [&](Fn &fn, const std::vector<std::string> &a) {
                   std::string s = sigmoid(fn, a[2]), df = fn.fresh("d"),
                               r2 = fn.fresh("r");
                   fn.line("  " + df + " = arith.subf " + a[1] + ", " + a[0] +
                           " : f32");
                   fn.line("  " + r2 + " = math.fma " + df + ", " + s + ", " +
                           a[0] + " : f32");
                   return r2;
                 });
  }
  fn.line("// kk = l2norm(k · k_k) per head; k ← k · (1 + (a − 1) · k_a).");
  std::string kkw = load(fn, a_ + "k_k", {dk * h}, WeightInit::NearOne);
  std::string kaw = load(fn, a_ + "k_a", {dk * h}, WeightInit::NearOne);
  std::string kks = generic(fn, {{kk0, t3(dk * h), "#id3"}, {kkw, tw({dk * h}), "#ch3"}},
                            t3(dk * h), "#id3", "", 3, 0,
                            [&](Fn &fn, const std::vector<std::string> &a) {
                              std::string r2 = fn.fresh("r");
                              fn.line("  " + r2 + " = arith.mulf " + a[0] + ", " +
                                      a[1] + " : f32");
                              return r2;
                            });
  std::string kkn = fn.fresh("kk");
  fn.line(kkn + " = hymir.l2_norm " + expand(fn, kks, h, dk) +
          " {eps = 1.000000000e-24 : f32} : " + t4(h, dk));
  std::string k2 = generic(
      fn, {{kk0, t3(dk * h), "#id3"}, {av, t3(dk * h), "#id3"}, {kaw, tw({dk * h}), "#ch3"}},
      t3(dk * h), "#id3", "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string one = fn.fresh("one"), am1 = fn.fresh("am1"), f = fn.fresh("f"),
                    r2 = fn.fresh("r");
        fn.line("  " + one + " = arith.constant 1.0 : f32");
        fn.line("  " + am1 + " = arith.subf " + a[1] + ", " + one + " : f32");
        fn.line("  " + f + " = math.fma " + am1 + ", " + a[2] + ", " + one + " : f32");
        fn.line("  " + r2 + " = arith.mulf " + a[0] + ", " + f + " : f32");
        return r2;
      });
  std::string a4 = expand(fn, av, h, dk);
  std::string negkk = generic(fn, {{kkn, t4(h, dk), "#id4"}}, t4(h, dk), "#id4", "", 4,
                              0, [&](Fn &fn, const std::vector<std::string> &a) {
                                std::string r2 = fn.fresh("r");
                                fn.line("  " + r2 + " = arith.negf " + a[0] + " : f32");
                                return r2;
                              });
  std::string bkk = generic(fn, {{kkn, t4(h, dk), "#id4"}, {a4, t4(h, dk), "#id4"}},
                            t4(h, dk), "#id4", "", 4, 0,
                            [&](Fn &fn, const std::vector<std::string> &a) {
                              std::string r2 = fn.fresh("r");
                              fn.line("  " + r2 + " = arith.mulf " + a[0] + ", " +
                                      a[1] + " : f32");
                              return r2;
                            });
  std::string r4 = expand(fn, rr, h, dk), w4 = expand(fn, w, h, dk),
              k4 = expand(fn, k2, h, dk), v4 = expand(fn, vv, h, dv);
  fn.line("// S_t = diag(e^w) S + (kk·a) ⊗ (Sᵀ(−kk)) + k ⊗ v,  o = S_tᵀ r.");
  std::string vk = tw({dk}), vvv = tw({dv}), stt = tw({dk, dv});
  std::string o = fn.fresh("o"), sT = fn.fresh("S_T");
  fn.line(o + ", " + sT + " = hymir.scan heads = " + S(h));
  fn.line("    ins(" + r4 + ", " + w4 + ", " + k4 + ", " + v4 + ", " + negkk + ", " +
          bkk + " : " + t4(h, dk) + ", " + t4(h, dk) + ", " + t4(h, dk) + ", " +
          t4(h, dv) + ", " + t4(h, dk) + ", " + t4(h, dk) + ")");
  fn.line("    inits(%S : " + st[1].type + ") -> (" + t4(h, dv) + ") {");
  auto f = [&](const char *hint) { return fn.fresh(hint); };
  std::string rt = f("r_t"), wt = f("w_t"), kt = f("k_t"), vt = f("v_t"),
              at = f("a_t"), bt = f("b_t"), sS = f("S");
  fn.line("^bb0(" + rt + ": " + vk + ", " + wt + ": " + vk + ", " + kt + ": " + vk +
          ", " + vt + ": " + vvv + ", " + at + ": " + vk + ", " + bt + ": " + vk +
          ", " + sS + ": " + stt + "):");
  std::string al = f("alpha"), sd = f("S_decayed"), sa = f("Sa"), corr = f("corr"),
              kv = f("kv"), sm = f("S_mid"), sn = f("S_new"), ot = f("o_t");
  fn.line("  " + al + " = math.exp " + wt + " : " + vk);
  fn.line("  " + sd + " = hymir.scale " + sS + ", " + al + " along rows : " + stt +
          ", " + vk);
  fn.line("  " + sa + " = hymir.read " + sS + ", " + at + " : " + stt + ", " + vk +
          " -> " + vvv);
  fn.line("  " + corr + " = hymir.outer " + bt + ", " + sa + " : " + vk + ", " +
          vvv + " -> " + stt);
  fn.line("  " + kv + " = hymir.outer " + kt + ", " + vt + " : " + vk + ", " + vvv +
          " -> " + stt);
  fn.line("  " + sm + " = arith.addf " + sd + ", " + corr + " : " + stt);
  fn.line("  " + sn + " = arith.addf " + sm + ", " + kv + " : " + stt);
  fn.line("  " + ot + " = hymir.read " + sn + ", " + rt + " : " + stt + ", " + vk +
          " -> " + vvv);
  fn.line("  hymir.yield " + ot + ", " + sn + " : " + vvv + ", " + stt);
  fn.line("}");

  fn.line("// GroupNorm per head (eps = head_dim · norm_eps), + (Σ r·k·r_k) v, "
          "times g; o_proj.");
  std::string on = fn.fresh("gn");
  fn.line(on + " = hymir.layer_norm " + o + " {eps = " + F(dk * r.normEps) +
          " : f32} : " + t4(h, dv));
  std::string gw = load(fn, a_ + "g_norm.weight", {vd}, WeightInit::NearOne);
  std::string gb = load(fn, a_ + "g_norm.bias", {vd}, WeightInit::NearZero);
  std::string rk = load(fn, a_ + "r_k", {h, dk}, WeightInit::NearZero);
  std::string eb = fn.fresh("e"), zb = fn.fresh("z");
  fn.line(eb + " = tensor.empty(%B, %T) : " + t3(h));
  fn.line(zb + " = linalg.fill ins(%zero : f32) outs(" + eb + " : " + t3(h) +
          ") -> " + t3(h));
  std::string bonus = generic(
      fn, {{r4, t4(h, dk), "#id4"}, {k4, t4(h, dk), "#id4"}, {rk, tw({h, dk}), "#hb4"}},
      t3(h), "#bth4", zb, 4, 1, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string m1 = fn.fresh("m"), r2 = fn.fresh("r");
        fn.line("  " + m1 + " = arith.mulf " + a[0] + ", " + a[1] + " : f32");
        fn.line("  " + r2 + " = math.fma " + m1 + ", " + a[2] + ", " + a[3] + " : f32");
        return r2;
      });
  std::string corrv = generic(
      fn, {{on, t4(h, dv), "#id4"}, {bonus, t3(h), "#bth4"}, {v4, t4(h, dv), "#id4"}},
      t4(h, dv), "#id4", "", 4, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        (void)a;
        std::string r2 = fn.fresh("r");
        fn.line("  " + r2 + " = arith.mulf " + a[1] + ", " + a[2] + " : f32");
        return r2;
      });
  std::string onf = collapse(fn, on, h, dv), cf = collapse(fn, corrv, h, dv);
  std::string og = generic(
      fn, {{onf, t3(vd), "#id3"}, {gw, tw({vd}), "#ch3"}, {gb, tw({vd}), "#ch3"},
           {cf, t3(vd), "#id3"}, {g, t3(vd), "#id3"}},
      t3(vd), "#id3", "", 3, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string n = fn.fresh("n"), s2 = fn.fresh("s"), r2 = fn.fresh("r");
        fn.line("  " + n + " = math.fma " + a[0] + ", " + a[1] + ", " + a[2] + " : f32");
        fn.line("  " + s2 + " = arith.addf " + n + ", " + a[3] + " : f32");
        fn.line("  " + r2 + " = arith.mulf " + s2 + ", " + a[4] + " : f32");
        return r2;
      });
  std::string y = linear(fn, og, vd, load(fn, a_ + "o_proj.weight", {d, vd}, WeightInit::FanIn), d);
  std::string h1 = fn.fresh("h");
  fn.line(h1 + " = arith.addf " + resid + ", " + y + " : " + t3(d));

  fn.line("// Channel mix: value(relu(key(x + (x_{t−1} − x) · μ_k))²).");
  std::string x2 = layerNormAffine(fn, h1, p + "ffn_norm", d);
  std::string prev2, lastF;
  tokenShift(fn, x2, "%shift_f", d, prev2, lastF);
  std::string muk = load(fn, p + "ffn.x_k", {d}, WeightInit::NearZero);
  std::string xk2 = mix(muk, x2, prev2);
  std::string kf = linear(fn, xk2, d, load(fn, p + "ffn.key.weight", {inter, d}, WeightInit::FanIn), inter);
  std::string sq = generic(fn, {{kf, t3(inter), "#id3"}}, t3(inter), "#id3", "", 3, 0,
                           [&](Fn &fn, const std::vector<std::string> &a) {
                             std::string z = fn.fresh("zero"), m = fn.fresh("relu"),
                                         r2 = fn.fresh("sq");
                             fn.line("  " + z + " = arith.constant 0.0 : f32");
                             fn.line("  " + m + " = arith.maximumf " + a[0] + ", " +
                                     z + " : f32");
                             fn.line("  " + r2 + " = arith.mulf " + m + ", " + m +
                                     " : f32");
                             return r2;
                           });
  std::string yf = linear(fn, sq, inter, load(fn, p + "ffn.value.weight", {d, inter}, WeightInit::FanIn), d);
  std::string h2 = fn.fresh("h");
  fn.line(h2 + " = arith.addf " + h1 + ", " + yf + " : " + t3(d));

  std::string types = t3(d) + (r.first ? ", " + t3(vd) : std::string());
  for (const StateSpec &s2 : st)
    types += ", " + s2.type;
  std::string args = "%h: " + t3(d) +
                     (r.first ? std::string() : ", %v_first: " + t3(vd));
  for (const StateSpec &s2 : st)
    args += ", %" + s2.arg + ": " + s2.type;
  layerFuncs += "// RWKV-7 block " + S(index) +
                (r.first ? " (returns v_first, the value residual of the later "
                           "blocks)"
                         : "") +
                ".\nfunc.func private @layer_" + S(index) + "(" + args +
                ")\n    -> (" + types + ") {\n" + fn.text + "  return " + h2 +
                (r.first ? ", " + vfirst : std::string()) + ", " + lastA + ", " +
                sT + ", " + lastF + " : " + types + "\n}\n\n";
}

void Builder::emitKda(Fn &fn, const LayerSpec &layer, const std::string &x,
                      std::string &y, std::vector<std::string> &states) {
  const KdaSpec &kd = layer.kda;
  int64_t d = spec.hidden, h = kd.heads, dk = kd.headDim, c = h * dk,
          kw = kd.convKernel;
  std::string p = layer.prefix + layer.mixerName + ".";
  std::string convT = tb({kw - 1, c});
  auto projConv = [&](const char *name, const char *conv, const char *state) {
    std::string w = load(fn, p + name + ".weight", {c, d}, WeightInit::FanIn);
    std::string cw = load(fn, p + conv + ".weight", {c, 1, kw}, WeightInit::FanIn);
    std::string wc = fn.fresh("wc");
    fn.line(wc + " = tensor.collapse_shape " + cw + " [[0, 1], [2]] : " +
            tw({c, 1, kw}) + " into " + tw({c, kw}));
    std::string out = fn.fresh("c"), st = fn.fresh("conv_out");
    fn.line(out + ", " + st + " = hymir.causal_conv1d " + linear(fn, x, d, w, c) +
            ", " + wc + " state(%" + state +
            ") {activation = #hymir.activation<silu>} : " + t3(c) + ", " +
            tw({c, kw}) + ", " + convT + " -> " + t3(c) + ", " + convT);
    states.push_back(st);
    return expand(fn, out, h, dk);
  };
  states.clear();
  fn.line("// q, k, v: projection, then a short conv each (SiLU) with its own "
          "state.");
  std::string q = projConv("q_proj", "q_conv1d", "conv_q");
  std::string k = projConv("k_proj", "k_conv1d", "conv_k");
  std::string v = projConv("v_proj", "v_conv1d", "conv_v");
  fn.line("// Per-channel log decay g = −exp(A_log[h]) · softplus(f_b(f_a x) + "
          "dt_bias), β = sigmoid(b_proj x).");
  std::string fa = load(fn, p + "f_a_proj.weight", {dk, d}, WeightInit::FanIn);
  std::string fb = load(fn, p + "f_b_proj.weight", {c, dk}, WeightInit::FanIn);
  std::string dtb = load(fn, p + "dt_bias", {c}, WeightInit::NearOne);
  std::string alog = load(fn, p + "A_log", {1, 1, h, 1}, WeightInit::ALog);
  std::string bp = load(fn, p + "b_proj.weight", {h, d}, WeightInit::FanIn);
  std::string f = expand(fn, linear(fn, linear(fn, x, d, fa, dk), dk, fb, c), h, dk);
  std::string a1 = fn.fresh("A_log"), dt2 = fn.fresh("dt_bias");
  fn.line(a1 + " = tensor.collapse_shape " + alog + " [[0, 1, 2, 3]] : " +
          tw({1, 1, h, 1}) + " into " + tw({h}));
  fn.line(dt2 + " = tensor.expand_shape " + dtb + " [[0, 1]] output_shape [" +
          S(h) + ", " + S(dk) + "] : " + tw({c}) + " into " + tw({h, dk}));
  std::string g = generic(
      fn, {{f, t4(h, dk), "#id4"}, {dt2, tw({h, dk}), "#hb4"}, {a1, tw({h}), "#h4"}},
      t4(h, dk), "#id4", "", 4, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string s1 = fn.fresh("s"), ea = fn.fresh("ea"), r = fn.fresh("g");
        fn.line("  " + s1 + " = arith.addf " + a[0] + ", " + a[1] + " : f32");
        std::string sp = softplus(fn, s1);
        fn.line("  " + ea + " = math.exp " + a[2] + " : f32");
        fn.line("  " + r + " = arith.mulf " + ea + ", " + sp + " : f32");
        std::string n = fn.fresh("neg");
        fn.line("  " + n + " = arith.negf " + r + " : f32");
        return n;
      });
  std::string beta = generic(fn, {{linear(fn, x, d, bp, h), t3(h), "#id3"}}, t3(h),
                             "#id3", "", 3, 0,
                             [&](Fn &fn, const std::vector<std::string> &a) {
                               return sigmoid(fn, a[0]);
                             });
  fn.line("// The gated delta rule with a per-key-channel decay.");
  std::string vk = tw({dk}), st = tw({dk, dk});
  std::string o = fn.fresh("o"), sT = fn.fresh("S_T");
  fn.line(o + ", " + sT + " = hymir.scan heads = " + S(h));
  fn.line("    ins(" + q + ", " + k + ", " + v + ", " + g + ", " + beta + " : " +
          t4(h, dk) + ", " + t4(h, dk) + ", " + t4(h, dk) + ", " + t4(h, dk) +
          ", " + t3(h) + ")");
  fn.line("    inits(%S : " + tb({h, dk, dk}) + ") -> (" + t4(h, dk) + ") {");
  auto fr = [&](const char *hint) { return fn.fresh(hint); };
  std::string qt = fr("q_t"), kt = fr("k_t"), vt = fr("v_t"), gt = fr("g_t"),
              bt = fr("b_t"), sS = fr("S");
  fn.line("^bb0(" + qt + ": " + vk + ", " + kt + ": " + vk + ", " + vt + ": " + vk +
          ", " + gt + ": " + vk + ", " + bt + ": f32, " + sS + ": " + st + "):");
  std::string qn = fr("q_n"), kn = fr("k_n"), al = fr("alpha"), sd = fr("S_decayed"),
              pr = fr("pred"), er = fr("err"), ut = fr("u_t"), ku = fr("ku"),
              sn = fr("S_new"), sc = fr("scale"), qs = fr("q_s"), ot = fr("o_t");
  fn.line("  " + qn + " = hymir.l2_norm " + qt + " {eps = 1.0e-06 : f32} : " + vk);
  fn.line("  " + kn + " = hymir.l2_norm " + kt + " {eps = 1.0e-06 : f32} : " + vk);
  fn.line("  " + al + " = math.exp " + gt + " : " + vk);
  fn.line("  " + sd + " = hymir.scale " + sS + ", " + al + " along rows : " + st +
          ", " + vk);
  fn.line("  " + pr + " = hymir.read " + sd + ", " + kn + " : " + st + ", " + vk +
          " -> " + vk);
  fn.line("  " + er + " = arith.subf " + vt + ", " + pr + " : " + vk);
  fn.line("  " + ut + " = hymir.scale " + er + ", " + bt + " : " + vk + ", f32");
  fn.line("  " + ku + " = hymir.outer " + kn + ", " + ut + " : " + vk + ", " + vk +
          " -> " + st);
  fn.line("  " + sn + " = arith.addf " + sd + ", " + ku + " : " + st);
  fn.line("  " + sc + " = arith.constant " + F(1.0 / std::sqrt(double(dk))) +
          " : f32");
  fn.line("  " + qs + " = hymir.scale " + qn + ", " + sc + " : " + vk + ", f32");
  fn.line("  " + ot + " = hymir.read " + sn + ", " + qs + " : " + st + ", " + vk +
          " -> " + vk);
  fn.line("  hymir.yield " + ot + ", " + sn + " : " + vk + ", " + st);
  fn.line("}");
  fn.line("// rmsnorm(o) · w · sigmoid(g_b(g_a x)), then o_proj.");
  std::string gaw = load(fn, p + "g_a_proj.weight", {dk, d}, WeightInit::FanIn);
  std::string gbw = load(fn, p + "g_b_proj.weight", {c, dk}, WeightInit::FanIn);
  std::string onw = load(fn, p + "o_norm.weight", {dk}, WeightInit::NearOne);
  std::string opw = load(fn, p + "o_proj.weight", {d, c}, WeightInit::FanIn);
  std::string og = expand(fn, linear(fn, linear(fn, x, d, gaw, dk), dk, gbw, c), h, dk);
  std::string on = norm(fn, o, t4(h, dk), onw, dk, NormKind::Plain, spec.eps);
  std::string gated = generic(
      fn, {{on, t4(h, dk), "#id4"}, {og, t4(h, dk), "#id4"}}, t4(h, dk), "#id4", "",
      4, 0, [&](Fn &fn, const std::vector<std::string> &a) {
        std::string s1 = sigmoid(fn, a[1]), r = fn.fresh("r");
        fn.line("  " + r + " = arith.mulf " + a[0] + ", " + s1 + " : f32");
        return r;
      });
  y = linear(fn, collapse(fn, gated, h, dk), c, opw, d);
  states.push_back(sT);
}

std::string Builder::ropeHelper(int64_t headDim, int64_t rot, double theta) {
  std::string name = "rope_" + S(headDim) + "_" + S(rot);
  if (!helperNames.insert(name).second)
    return name;
  int64_t half = rot / 2;
  std::string freqs;
  for (int64_t i = 0; i < half; ++i)
    freqs += (i ? ", " : "") +
             F(std::pow(theta, -2.0 * double(i) / double(rot)));
  std::string tx = "tensor<?x?x?x" + S(headDim) + "xf32>",
              ta = "tensor<?x?x?x" + S(half) + "xf32>";
  helpers += "// Rotary embedding (rotate-half) of the first " + S(rot) +
             " of " + S(headDim) + " dims, token t of sequence b at position "
             "pos[b] + t:\n"
             "// φ_i = (pos[b] + t) · θ^(−2i/" + S(rot) + "), θ = " +
             F(theta) + ".\n";
  helpers += "func.func private @" + name + "(%x: " + tx +
             ", %pos: tensor<?xi32>) -> " + tx + " {\n";
  helpers += "  %c0 = arith.constant 0 : index\n"
             "  %c1 = arith.constant 1 : index\n"
             "  %c2 = arith.constant 2 : index\n";
  helpers += "  %inv_freq = arith.constant dense<[" + freqs + "]> : " +
             tw({half}) + "\n";
  helpers += "  %B = tensor.dim %x, %c0 : " + tx + "\n";
  helpers += "  %T = tensor.dim %x, %c1 : " + tx + "\n";
  helpers += "  %H = tensor.dim %x, %c2 : " + tx + "\n";
  helpers += "  %e = tensor.empty(%B, %T, %H) : " + ta + "\n";
  helpers += "  %angles = linalg.generic {indexing_maps = [#frq, #bpos, "
             "#id4], iterator_types = [\"parallel\", \"parallel\", "
             "\"parallel\", \"parallel\"]}\n";
  helpers += "      ins(%inv_freq, %pos : " + tw({half}) +
             ", tensor<?xi32>) outs(%e : " + ta + ") {\n";
  helpers += "  ^bb0(%f: f32, %p0: i32, %out: f32):\n"
             "    %t = linalg.index 1 : index\n"
             "    %t_i = arith.index_cast %t : index to i64\n"
             "    %p0_i = arith.extsi %p0 : i32 to i64\n"
             "    %p_i = arith.addi %p0_i, %t_i : i64\n"
             "    %p_f = arith.sitofp %p_i : i64 to f32\n"
             "    %phi = arith.mulf %p_f, %f : f32\n"
             "    linalg.yield %phi : f32\n";
  helpers += "  } -> " + ta + "\n";
  helpers += "  %y = hymir.rotary %x, %angles : " + tx + ", " + ta + "\n";
  helpers += "  return %y : " + tx + "\n}\n\n";
  return name;
}

void Builder::attentionQkv(Fn &fn, const LayerSpec &layer,
                           const std::string &x, const std::string &pos,
                           std::string &q, std::string &k, std::string &v,
                           std::string &gate) {
  const AttentionSpec &a = layer.attention;
  int64_t d = spec.hidden, h = a.heads, hkv = a.kvHeads, hd = a.headDim;
  std::string p = layer.prefix + layer.mixerName + ".";
  if (a.mla) {
    int64_t lr = a.kvLoraRank, nope = a.nopeDim, rope = a.ropeDim,
            vdim = a.vDim();
    fn.line("// MLA (NoPE): q per head [nope " + S(nope) + " | rope " + S(rope) +
            "]; latent [" + S(lr) + " | k_rope " + S(rope) +
            "] → kv_a_layernorm → kv_b_proj per head [k_nope | v].");
    std::string wq = load(fn, p + "q_proj.weight", {h * hd, d}, WeightInit::FanIn);
    std::string wa = load(fn, p + "kv_a_proj_with_mqa.weight", {lr + rope, d},
                          WeightInit::FanIn);
    std::string wn = load(fn, p + "kv_a_layernorm.weight", {lr}, WeightInit::NearOne);
    std::string wb = load(fn, p + "kv_b_proj.weight", {h * (nope + vdim), lr},
                          WeightInit::FanIn);
    q = expand(fn, linear(fn, x, d, wq, h * hd), h, hd);
    std::string ca = linear(fn, x, d, wa, lr + rope);
    std::string lat = rope ? slice3(fn, ca, lr + rope, 0, lr) : ca;
    lat = norm(fn, lat, t3(lr), wn, lr, NormKind::Plain, spec.eps);
    std::string kv = expand(fn, linear(fn, lat, lr, wb, h * (nope + vdim)), h,
                            nope + vdim);
    std::string kn = slice4(fn, kv, h, nope + vdim, 0, nope);
    v = slice4(fn, kv, h, nope + vdim, nope, vdim);
    if (rope) {
      // k_rope broadcast to every head, appended to k_nope.
      std::string kr = slice3(fn, ca, lr + rope, lr, rope);
      std::string krb = generic(
          fn, {{kr, t3(rope), "#bthd"}}, t4(h, rope), "#id4", "", 4, 0,
          [&](Fn &, const std::vector<std::string> &a) { return a[0]; });
      k = fn.fresh("k");
      fn.line(k + " = tensor.concat dim(3) " + kn + ", " + krb + " : (" +
              t4(h, nope) + ", " + t4(h, rope) + ") -> " + t4(h, hd));
    } else {
      k = kn;
    }
    gate.clear();
    return;
  }
  int64_t qOut = h * hd * (a.outputGate ? 2 : 1);
  std::string wq = load(fn, p + "q_proj.weight", {qOut, d}, WeightInit::FanIn);
  std::string wk =
      load(fn, p + "k_proj.weight", {hkv * hd, d}, WeightInit::FanIn);
  std::string wv =
      load(fn, p + "v_proj.weight", {hkv * hd, d}, WeightInit::FanIn);
  std::string qRaw;
  if (a.outputGate) {
    fn.line("// q_proj gives per head [q " + S(hd) + " | gate " + S(hd) + "].");
    std::string qg = expand(fn, linear(fn, x, d, wq, qOut), h, 2 * hd);
    qRaw = slice4(fn, qg, h, 2 * hd, 0, hd);
    gate = slice4(fn, qg, h, 2 * hd, hd, hd);
  } else {
    std::string qf = linear(fn, x, d, wq, qOut);
    if (a.qkNormFull)
      qf = norm(fn, qf, t3(qOut), load(fn, p + "q_norm.weight", {qOut}, normInit(NormKind::Plain)),
                qOut, NormKind::Plain, spec.eps);
    qRaw = expand(fn, qf, h, hd);
    gate.clear();
  }
  std::string kf = linear(fn, x, d, wk, hkv * hd);
  if (a.qkNormFull)
    kf = norm(fn, kf, t3(hkv * hd),
              load(fn, p + "k_norm.weight", {hkv * hd}, normInit(NormKind::Plain)),
              hkv * hd, NormKind::Plain, spec.eps);
  std::string kRaw = expand(fn, kf, hkv, hd);
  v = expand(fn, linear(fn, x, d, wv, hkv * hd), hkv, hd);
  if (a.qkNorm) {
    WeightInit init = normInit(a.qkNormKind);
    std::string wqn = load(fn, p + "q_norm.weight", {hd}, init);
    std::string wkn = load(fn, p + "k_norm.weight", {hd}, init);
    qRaw = norm(fn, qRaw, t4(h, hd), wqn, hd, a.qkNormKind, spec.eps);
    kRaw = norm(fn, kRaw, t4(hkv, hd), wkn, hd, a.qkNormKind, spec.eps);
  }
  if (a.rotaryDim > 0) {
    std::string rope = ropeHelper(hd, a.rotaryDim, a.ropeTheta);
    std::string tx = "tensor<?x?x?x" + S(hd) + "xf32>";
    auto apply = [&](const std::string &t, int64_t heads) {
      std::string c = fn.fresh("cast"), r = fn.fresh("rope"),
                  back = fn.fresh("cast");
      fn.line(c + " = tensor.cast " + t + " : " + t4(heads, hd) + " to " + tx);
      fn.line(r + " = func.call @" + rope + "(" + c + ", " + pos + ") : (" +
              tx + ", tensor<?xi32>) -> " + tx);
      fn.line(back + " = tensor.cast " + r + " : " + tx + " to " +
              t4(heads, hd));
      return back;
    };
    qRaw = apply(qRaw, h);
    kRaw = apply(kRaw, hkv);
  }
  q = qRaw;
  k = kRaw;
}

std::string Builder::attentionOut(Fn &fn, const LayerSpec &layer,
                                  const std::string &o,
                                  const std::string &gate) {
  const AttentionSpec &a = layer.attention;
  int64_t d = spec.hidden, h = a.heads, hd = a.vDim();
  std::string p = layer.prefix + layer.mixerName + ".";
  std::string wo = load(fn, p + "o_proj.weight", {d, h * hd}, WeightInit::FanIn);
  std::string og = o;
  if (!gate.empty())
    og = generic(fn, {{o, t4(h, hd), "#id4"}, {gate, t4(h, hd), "#id4"}},
                 t4(h, hd), "#id4", "", 4, 0,
                 [&](Fn &fn, const std::vector<std::string> &a) {
                   std::string s = sigmoid(fn, a[1]), r = fn.fresh("r");
                   fn.line("  " + r + " = arith.mulf " + a[0] + ", " + s +
                           " : f32");
                   return r;
                 });
  std::string y = linear(fn, collapse(fn, og, h, hd), h * hd, wo, d);
  if (a.outputBias)
    y = addBias(fn, y, load(fn, p + "o_proj.bias", {d}, WeightInit::NearZero), d);
  return y;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

void Builder::emitRecurrentLayer(unsigned index, const LayerSpec &layer) {
  int64_t d = spec.hidden;
  std::vector<StateSpec> st = statesOf(layer);
  Fn fn;
  fn.prologue("%h", t3(d));
  std::string x = blockNorm(fn, layer, "%h", layer.inputNorm);
  std::string y;
  std::vector<std::string> states;
  if (layer.mixer == LayerSpec::Mixer::GatedDeltaNet)
    emitGatedDeltaNet(fn, layer, x, y, states);
  else if (layer.mixer == LayerSpec::Mixer::Mamba2)
    emitMamba2(fn, layer, x, y, states);
  else if (layer.mixer == LayerSpec::Mixer::Mamba1)
    emitMamba1(fn, layer, x, y, states);
  else if (layer.mixer == LayerSpec::Mixer::RgLru)
    emitRgLru(fn, layer, x, y, states);
  else if (layer.mixer == LayerSpec::Mixer::Kda)
    emitKda(fn, layer, x, y, states);
  else if (layer.mixer == LayerSpec::Mixer::SLstm)
    emitSLstm(fn, layer, x, y, states);
  else
    emitMLstm(fn, layer, x, y, states);
  std::string h = residual(fn, "%h", y, d);
  if (layer.mlp.kind != MlpSpec::Kind::None) {
    std::string x2 = blockNorm(fn, layer, h, layer.postNorm);
    h = residual(fn, h, emitMlp(fn, layer, x2), d);
  }
  std::string types = t3(d);
  for (const StateSpec &s : st)
    types += ", " + s.type;
  bool needsPos = layer.mixer == LayerSpec::Mixer::RgLru;
  std::string args, rets;
  for (auto [s, v] : llvm::zip(st, states)) {
    args += ", %" + s.arg + ": " + s.type;
    rets += ", " + v;
  }
  layerFuncs += "func.func private @layer_" + S(index) + "(%h: " + t3(d) +
                args + (needsPos ? ", %pos0: index" : "") + ")\n    -> (" +
                types + ") {\n" + fn.text + "  return " + h + rets + " : " +
                types + "\n}\n\n";
}

void Builder::emitAttentionLayer(unsigned index, const LayerSpec &layer,
                                 bool decode) {
  const AttentionSpec &a = layer.attention;
  int64_t d = spec.hidden, h = a.heads, hkv = a.kvHeads, hd = a.headDim,
          hv = a.vDim();
  std::string kvT = t4(hkv, hd), vT = t4(hkv, hv);
  Fn fn;
  fn.prologue("%h", t3(d));
  // RoPE positions per sequence: 0 in a prefill, lengths[b] in a decode step.
  std::string pos = "%lengths";
  if (!decode) {
    fn.line("%len_e = tensor.empty(%B) : tensor<?xi32>");
    fn.line("%zero_i = arith.constant 0 : i32");
    fn.line("%pos = linalg.fill ins(%zero_i : i32) outs(%len_e : "
            "tensor<?xi32>) -> tensor<?xi32>");
    fn.line("%T_i = arith.index_cast %T : index to i32");
    fn.line("%lengths = linalg.fill ins(%T_i : i32) outs(%len_e : "
            "tensor<?xi32>) -> tensor<?xi32>");
    pos = "%pos";
  }
  std::string x = "%h";
  if (!layer.postNormBlock) {
    std::string win = load(fn, layer.prefix + layer.inputNorm, {d},
                           normInit(spec.normKind));
    x = norm(fn, "%h", t3(d), win, d, spec.normKind, spec.eps);
  }
  std::string q, k, v, gate;
  attentionQkv(fn, layer, x, pos, q, k, v, gate);
  std::string scale = F(a.scale);
  std::string o, kOut = k, vOut = v, lenOut = "%lengths";
  if (!decode) {
    o = fn.fresh("o");
    fn.line(o + " = hymir.attention " + q + ", " + k + ", " + v +
            " {causal, scale = " + scale + " : f32" +
            (a.window ? ", window = " + S(a.window) + " : i64" : "") + "} : " +
            t4(h, hd) + ", " +
            kvT + ", " + vT + " -> " + t4(h, hv));
  } else {
    fn.line("// Row lengths[b] of sequence b's cache takes the token's key and "
            "value (in place;");
    fn.line("// lengths[b] >= the capacity is out of bounds, an error of the "
            "reference).");
    kOut = fn.fresh("k_all");
    vOut = fn.fresh("v_all");
    std::string tk1 = "tensor<1x1x" + S(hkv) + "x" + S(hd) + "xf32>",
                tv1 = "tensor<1x1x" + S(hkv) + "x" + S(hv) + "xf32>";
    fn.line(kOut + ", " + vOut + " = scf.for %b = %c0 to %B step %c1 "
            "iter_args(%kc = %k_cache, %vc = %v_cache) -> (" + kvT + ", " + vT +
            ") {");
    fn.line("  %len_b = tensor.extract %lengths[%b] : tensor<?xi32>");
    fn.line("  %row = arith.index_cast %len_b : i32 to index");
    fn.line("  %k_b = tensor.extract_slice " + k + "[%b, 0, 0, 0] [1, 1, " +
            S(hkv) + ", " + S(hd) + "] [1, 1, 1, 1] : " + kvT + " to " + tk1);
    fn.line("  %v_b = tensor.extract_slice " + v + "[%b, 0, 0, 0] [1, 1, " +
            S(hkv) + ", " + S(hv) + "] [1, 1, 1, 1] : " + vT + " to " + tv1);
    fn.line("  %kc_n = tensor.insert_slice %k_b into %kc[%b, %row, 0, 0] [1, 1, " +
            S(hkv) + ", " + S(hd) + "] [1, 1, 1, 1] : " + tk1 + " into " + kvT);
    fn.line("  %vc_n = tensor.insert_slice %v_b into %vc[%b, %row, 0, 0] [1, 1, " +
            S(hkv) + ", " + S(hv) + "] [1, 1, 1, 1] : " + tv1 + " into " + vT);
    fn.line("  scf.yield %kc_n, %vc_n : " + kvT + ", " + vT);
    fn.line("}");
    fn.line("%one_i = arith.constant 1 : i32");
    fn.line("%ones_e = tensor.empty(%B) : tensor<?xi32>");
    fn.line("%ones = linalg.fill ins(%one_i : i32) outs(%ones_e : "
            "tensor<?xi32>) -> tensor<?xi32>");
    lenOut = "%lengths_n";
    fn.line(lenOut + " = arith.addi %lengths, %ones : tensor<?xi32>");
    std::string q1 = fn.fresh("q1"), qt = fn.fresh("q_t"), ot = fn.fresh("o_t"),
                o1 = fn.fresh("o1");
    std::string tq1 = "tensor<?x1x" + S(h) + "x" + S(hd) + "xf32>",
                tq = "tensor<?x" + S(h) + "x" + S(hd) + "xf32>",
                to1 = "tensor<?x1x" + S(h) + "x" + S(hv) + "xf32>",
                to = "tensor<?x" + S(h) + "x" + S(hv) + "xf32>";
    fn.line(q1 + " = tensor.cast " + q + " : " + t4(h, hd) + " to " + tq1);
    fn.line(qt + " = tensor.collapse_shape " + q1 + " [[0, 1], [2], [3]] : " +
            tq1 + " into " + tq);
    fn.line(ot + " = hymir.attention_decode " + qt + ", " + kOut + ", " + vOut +
            " lengths(" + lenOut + " : tensor<?xi32>) {scale = " + scale + " : f32" +
            (a.window ? ", window = " + S(a.window) + " : i64" : "") + "} : " +
            tq + ", " + kvT + ", " + vT +
            " -> " + to);
    fn.line(o1 + " = tensor.expand_shape " + ot +
            " [[0, 1], [2], [3]] output_shape [%B, 1, " + S(h) + ", " + S(hv) +
            "] : " + to + " into " + to1);
    o = fn.fresh("o");
    fn.line(o + " = tensor.cast " + o1 + " : " + to1 + " to " + t4(h, hv));
  }
  std::string y = attentionOut(fn, layer, o, gate);
  std::string hh;
  if (layer.postNormBlock) {
    fn.line("// Post-norm block (OLMo): h += norm(attn(h)); h += norm(mlp(h)).");
    std::string wa = load(fn, layer.prefix + layer.postNorm, {d},
                          normInit(spec.normKind));
    hh = residual(fn, "%h", norm(fn, y, t3(d), wa, d, spec.normKind, spec.eps),
                  d);
    std::string wf = load(fn, layer.prefix + layer.postFfnNorm, {d},
                          normInit(spec.normKind));
    std::string mo = emitMlp(fn, layer, hh);
    hh = residual(fn, hh, norm(fn, mo, t3(d), wf, d, spec.normKind, spec.eps),
                  d);
  } else {
    hh = residual(fn, "%h", y, d);
    if (layer.mlp.kind != MlpSpec::Kind::None) {
      std::string wp = load(fn, layer.prefix + layer.postNorm, {d},
                            normInit(spec.normKind));
      std::string x2 = norm(fn, hh, t3(d), wp, d, spec.normKind, spec.eps);
      hh = residual(fn, hh, emitMlp(fn, layer, x2), d);
    }
  }
  std::string types = t3(d) + ", " + kvT + ", " + vT + ", tensor<?xi32>";
  if (!decode)
    layerFuncs += "// Layer " + S(index) +
                  " over a whole prompt (positions 0 .. T-1): returns the "
                  "prompt's keys and values\n// (a full cache of capacity "
                  "T) and the lengths T.\n"
                  "func.func private @layer_" + S(index) + "_prefill(%h: " +
                  t3(d) + ")\n    -> (" + types + ") {\n";
  else
    layerFuncs += "// Layer " + S(index) +
                  " for one new token per sequence (h is [B, 1, D]) against "
                  "a KV cache of capacity C\n// holding lengths[b] tokens: "
                  "the token sits at position lengths[b]; returns lengths + "
                  "1.\n"
                  "func.func private @layer_" + S(index) + "_decode(%h: " +
                  t3(d) + ", %k_cache: " + kvT + ", %v_cache: " + vT +
                  ", %lengths: tensor<?xi32>)\n    -> (" + types + ") {\n";
  layerFuncs += fn.text + "  return " + hh + ", " + kOut + ", " + vOut + ", " +
                lenOut + " : " + types + "\n}\n\n";
}

void Builder::emitEmbedAndHead() {
  int64_t v = spec.vocab, d = spec.hidden;
  {
    Fn fn;
    fn.line("%c0 = arith.constant 0 : index");
    fn.line("%c1 = arith.constant 1 : index");
    fn.line("%B = tensor.dim %tokens, %c0 : tensor<?x?xi32>");
    fn.line("%T = tensor.dim %tokens, %c1 : tensor<?x?xi32>");
    std::string table =
        load(fn, spec.embedName, {v, d}, WeightInit::FanIn);
    fn.line("%e = tensor.empty(%B, %T) : " + t3(d));
    fn.line("%h = linalg.generic {indexing_maps = [#bt3, #id3], iterator_types "
            "= [\"parallel\", \"parallel\", \"parallel\"]}");
    fn.line("    ins(%tokens : tensor<?x?xi32>) outs(%e : " + t3(d) + ") {");
    fn.line("^bb0(%id: i32, %out: f32):");
    fn.line("  %row = arith.index_cast %id : i32 to index");
    fn.line("  %col = linalg.index 2 : index");
    fn.line("  %val = tensor.extract " + table + "[%row, %col] : " +
            tw({v, d}));
    fn.line("  linalg.yield %val : f32");
    fn.line("} -> " + t3(d));
    std::string h = "%h";
    if (spec.embeddingMultiplier != 1.0) {
      fn.line("%zero = arith.constant 0.0 : f32");
      h = scaleConst(fn, h, d, spec.embeddingMultiplier);
    }
    helpers += "// Token embedding: a gather of rows of the embedding table" +
               std::string(spec.embeddingMultiplier != 1.0
                               ? ", times embedding_multiplier"
                               : "") +
               ".\nfunc.func private @embed(%tokens: tensor<?x?xi32>) -> " +
               t3(d) + " {\n" + fn.text + "  return " + h + " : " + t3(d) +
               "\n}\n\n";
  }
  {
    Fn fn;
    fn.prologue("%h", t3(d));
    std::string x;
    if (spec.normKind == NormKind::LayerNormAffine) {
      llvm::StringRef base(spec.finalNormName);
      base.consume_back(".weight");
      x = layerNormAffine(fn, "%h", base.str(), d);
    } else {
      std::string wn =
          load(fn, spec.finalNormName, {d}, normInit(spec.normKind));
      x = norm(fn, "%h", t3(d), wn, d, spec.normKind, spec.eps);
    }
    bool tied = spec.lmHeadName.empty();
    std::string wh = load(fn, tied ? spec.embedName : spec.lmHeadName, {v, d},
                          WeightInit::FanIn);
    std::string logits = linear(fn, x, d, wh, v);
    if (spec.logitsScaling != 1.0)
      logits = scaleConst(fn, logits, v, 1.0 / spec.logitsScaling);
    if (spec.logitsSoftcap > 0.0)
      logits = generic(fn, {{logits, t3(v), "#id3"}}, t3(v), "#id3", "", 3, 0,
                       [&](Fn &fn, const std::vector<std::string> &a) {
                         std::string c = fn.fresh("cap"), ic = fn.fresh("icap"),
                                     s = fn.fresh("s"), t = fn.fresh("t"),
                                     r = fn.fresh("r");
                         fn.line("  " + c + " = arith.constant " +
                                 F(spec.logitsSoftcap) + " : f32");
                         fn.line("  " + ic + " = arith.constant " +
                                 F(1.0 / spec.logitsSoftcap) + " : f32");
                         fn.line("  " + s + " = arith.mulf " + a[0] + ", " +
                                 ic + " : f32");
                         fn.line("  " + t + " = math.tanh " + s + " : f32");
                         fn.line("  " + r + " = arith.mulf " + c + ", " + t +
                                 " : f32");
                         return r;
                       });
    helpers += std::string("// Final norm and LM head") +
               (tied ? " (tied to the embedding)" : "") +
               (spec.logitsScaling != 1.0 ? ", logits / logits_scaling" : "") +
               (spec.logitsSoftcap > 0.0 ? ", cap · tanh(logits / cap)" : "") +
               ".\nfunc.func private @lm_head(%h: " + t3(d) + ") -> " + t3(v) +
               " {\n" + fn.text + "  return " + logits + " : " + t3(v) +
               "\n}\n\n";
  }
}

void Builder::emitEntryPoints() {
  int64_t v = spec.vocab, d = spec.hidden;
  // State types with their KV-cache marks, as results and @decode arguments.
  std::vector<std::string> stateTypes, markedTypes;
  for (const LayerSpec &l : spec.layers)
    for (const StateSpec &s : statesOf(l)) {
      stateTypes.push_back(s.type);
      markedTypes.push_back(s.type + s.attrs());
    }
  std::string results = t3(v), prefillSig = t3(v);
  std::string decodeResults = "tensor<?x" + S(v) + "xf32>",
              decodeSig = decodeResults;
  for (auto [t, m] : llvm::zip(stateTypes, markedTypes)) {
    results += ", " + t;
    prefillSig += ", " + m;
    decodeResults += ", " + t;
    decodeSig += ", " + m;
  }

  // @prefill
  Fn pf;
  pf.line("%c0 = arith.constant 0 : index");
  pf.line("%zero = arith.constant 0.0 : f32");
  pf.line("%B = tensor.dim %tokens, %c0 : tensor<?x?xi32>");
  pf.line("// A prefill starts a sequence: zero recurrent states.");
  std::map<std::string, std::string> zeros;
  for (const LayerSpec &l : spec.layers)
    for (const StateSpec &s : statesOf(l)) {
      if (s.isCache || s.isLengths || zeros.count(s.type))
        continue;
      std::string e = pf.fresh("e"), z = pf.fresh("zeros");
      pf.line(e + " = tensor.empty(%B) : " + s.type);
      pf.line(z + " = linalg.fill ins(%zero : f32) outs(" + e + " : " + s.type +
              ") -> " + s.type);
      zeros[s.type] = z;
    }
  std::string h = pf.fresh("h");
  pf.line(h + " = func.call @embed(%tokens) : (tensor<?x?xi32>) -> " + t3(d));
  std::vector<std::string> outStates;
  std::string vfirst;
  for (auto [i, l] : llvm::enumerate(spec.layers)) {
    std::vector<StateSpec> st = statesOf(l);
    std::string h2 = pf.fresh("h"), results = h2, types = t3(d), ins, inTypes;
    // RWKV-7: block 0 returns v_first, the later blocks take it.
    if (l.mixer == LayerSpec::Mixer::Rwkv7) {
      std::string vt = t3(l.rwkv7.valueDim);
      if (l.rwkv7.first) {
        vfirst = pf.fresh("v_first");
        results += ", " + vfirst;
        types += ", " + vt;
      } else {
        ins += ", " + vfirst;
        inTypes += ", " + vt;
      }
    }
    for (const StateSpec &ss : st) {
      std::string r = pf.fresh("s");
      results += ", " + r;
      types += ", " + ss.type;
      ins += ", " + zeros[ss.type];
      inTypes += ", " + ss.type;
      outStates.push_back(r);
    }
    if (l.mixer == LayerSpec::Mixer::Attention) {
      pf.line(results + " = func.call @layer_" + S(i) + "_prefill(" + h +
              ") : (" + t3(d) + ") -> (" + types + ")");
    } else {
      bool pos = l.mixer == LayerSpec::Mixer::RgLru;
      pf.line(results + " = func.call @layer_" + S(i) + "(" + h + ins +
              (pos ? ", %c0" : "") + ") : (" + t3(d) + inTypes +
              (pos ? ", index" : "") + ") -> (" + types + ")");
    }
    h = h2;
  }
  pf.line("%logits = func.call @lm_head(" + h + ") : (" + t3(d) + ") -> " +
          t3(v));
  std::string ret = "%logits";
  for (const std::string &s : outStates)
    ret += ", " + s;

  std::string out;
  out += "func.func @prefill(%tokens: tensor<?x?xi32>)\n    -> (" +
         prefillSig + ") {\n" + pf.text + "  return " + ret + "\n      : " + results +
         "\n}\n\n";

  // @decode
  Fn df;
  df.line("%c0 = arith.constant 0 : index");
  df.line("%c1 = arith.constant 1 : index");
  df.line("%B = tensor.dim %tokens, %c0 : tensor<?xi32>");
  df.line("// One token per sequence is a sequence of length 1.");
  df.line("%tok = tensor.expand_shape %tokens [[0, 1]] output_shape [%B, 1] : "
          "tensor<?xi32> into tensor<?x1xi32>");
  df.line("%tok_d = tensor.cast %tok : tensor<?x1xi32> to tensor<?x?xi32>");
  h = df.fresh("h");
  df.line(h + " = func.call @embed(%tok_d) : (tensor<?x?xi32>) -> " + t3(d));
  std::string args;
  unsigned si = 0;
  outStates.clear();
  for (auto [i, l] : llvm::enumerate(spec.layers)) {
    std::vector<StateSpec> st = statesOf(l);
    std::string h2 = df.fresh("h"), results = h2, types = t3(d), ins;
    std::string inTypes = t3(d);
    if (l.mixer == LayerSpec::Mixer::Rwkv7) {
      std::string vt = t3(l.rwkv7.valueDim);
      if (l.rwkv7.first) {
        vfirst = df.fresh("v_first");
        results += ", " + vfirst;
        types += ", " + vt;
      } else {
        ins += ", " + vfirst;
        inTypes += ", " + vt;
      }
    }
    for (const StateSpec &ss : st) {
      std::string in = "%state" + S(si++), r = df.fresh("s");
      args += ", " + in + ": " + ss.type + ss.attrs();
      ins += ", " + in;
      inTypes += ", " + ss.type;
      results += ", " + r;
      types += ", " + ss.type;
      outStates.push_back(r);
    }
    std::string callee = l.mixer == LayerSpec::Mixer::Attention
                             ? "@layer_" + S(i) + "_decode"
                             : "@layer_" + S(i);
    // RG-LRU layers only need to know that a decoded token is not the first
    // of its sequence (the input normalisation is skipped at position 0).
    bool pos = l.mixer == LayerSpec::Mixer::RgLru;
    df.line(results + " = func.call " + callee + "(" + h + ins +
            (pos ? ", %c1" : "") + ") : (" + inTypes + (pos ? ", index" : "") +
            ") -> (" + types + ")");
    h = h2;
  }
  std::string lt = df.fresh("logits"), l1 = df.fresh("logits");
  df.line(lt + " = func.call @lm_head(" + h + ") : (" + t3(d) + ") -> " +
          t3(v));
  df.line(l1 + " = tensor.cast " + lt + " : " + t3(v) + " to tensor<?x1x" +
          S(v) + "xf32>");
  df.line("%logits = tensor.collapse_shape " + l1 + " [[0, 1], [2]] : tensor<?x1x" +
          S(v) + "xf32> into tensor<?x" + S(v) + "xf32>");
  ret = "%logits";
  for (const std::string &s : outStates)
    ret += ", " + s;
  out += "func.func @decode(%tokens: tensor<?xi32>" + args + ")\n    -> (" +
         decodeSig + ") {\n" + df.text + "  return " + ret + "\n      : " +
         decodeResults + "\n}\n\n";
  layerFuncs = out + layerFuncs;
}

std::string Builder::header() {
  std::string s = "// " + spec.title +
                  " — generated by hymir-import (docs/models.md).\n//\n";
  for (const std::string &l : spec.description)
    s += l.empty() ? "//\n" : "//   " + l + "\n";
  s += "//\n// Entry points (batch B, prompt length T; states in this order):\n";
  s += "//   @prefill(tokens [B, T] i32) -> (logits [B, T, " + S(spec.vocab) +
       "], states...)\n";
  s += "//   @decode(tokens [B] i32, states...) -> (logits [B, " +
       S(spec.vocab) + "], states...)\n";
  s += "// States:\n";
  unsigned n = 0;
  for (auto [i, l] : llvm::enumerate(spec.layers))
    for (const StateSpec &st : statesOf(l))
      s += "//   #" + S(n++) + " layer " + S(i) + ": " + st.type + "  " +
           st.meaning + "\n";
  s += "// KV caches carry {hymir.kv_cache} (the runner grows axis 1 to the "
       "capacity it needs),\n// their lengths {hymir.kv_lengths}: model "
       "format 2, docs/models.md.\n";
  return s + "\n";
}

ImportedModel Builder::build() {
  emitEmbedAndHead();
  for (auto [i, l] : llvm::enumerate(spec.layers)) {
    if (l.mixer == LayerSpec::Mixer::Attention) {
      emitAttentionLayer(i, l, /*decode=*/false);
      emitAttentionLayer(i, l, /*decode=*/true);
    } else if (l.mixer == LayerSpec::Mixer::Rwkv7) {
      emitRwkv7Layer(i, l);
    } else {
      emitRecurrentLayer(i, l);
    }
  }
  emitEntryPoints();
  std::string maps =
      "// Projections: y[b, t, o] = Σ_i x[b, t, i] · W[o, i] (W in the "
      "checkpoint's [out, in] layout).\n"
      "#px = affine_map<(b, t, o, i) -> (b, t, i)>\n"
      "#pw = affine_map<(b, t, o, i) -> (o, i)>\n"
      "#py = affine_map<(b, t, o, i) -> (b, t, o)>\n"
      "// Stacked experts: y[b, t, e, o] = Σ_i x[b, t, i] · W[e, o, i], and "
      "back: y[b, t, o] = Σ_{e, i} a[b, t, e, i] · W[e, o, i].\n"
      "#sx = affine_map<(b, t, e, o, i) -> (b, t, i)>\n"
      "#sw = affine_map<(b, t, e, o, i) -> (e, o, i)>\n"
      "#sy = affine_map<(b, t, e, o, i) -> (b, t, e, o)>\n"
      "#dx = affine_map<(b, t, o, e, i) -> (b, t, e, i)>\n"
      "#dw = affine_map<(b, t, o, e, i) -> (e, o, i)>\n"
      "#dy = affine_map<(b, t, o, e, i) -> (b, t, o)>\n"
      "// Element-wise, broadcast and reduction maps.\n"
      "#id3 = affine_map<(b, t, d) -> (b, t, d)>\n"
      "#id4 = affine_map<(b, t, h, d) -> (b, t, h, d)>\n"
      "#bt3 = affine_map<(b, t, d) -> (b, t)>\n"
      "#ch3 = affine_map<(b, t, d) -> (d)>\n"
      "#bte4 = affine_map<(b, t, e, i) -> (b, t, e)>\n"
      "#rke = affine_map<(b, t, e, f) -> (b, t, e)>\n"
      "#rkf = affine_map<(b, t, e, f) -> (b, t, f)>\n"
      "#frq = affine_map<(b, t, h, i) -> (i)>\n"
      "#bpos = affine_map<(b, t, h, i) -> (b)>\n"
      "#hb4 = affine_map<(b, t, h, j) -> (h, j)>\n"
      "#bth4 = affine_map<(b, t, h, j) -> (b, t, h)>\n"
      "#bthd = affine_map<(b, t, h, j) -> (b, t, j)>\n"
      "#h4 = affine_map<(b, t, h, j) -> (h)>\n"
      "// Block-diagonal gates: y[b, t, h, j] = Σ_i x[b, t, h, i] · W[h, i, "
      "j].\n"
      "#gx = affine_map<(b, t, h, j, i) -> (b, t, h, i)>\n"
      "#gw = affine_map<(b, t, h, j, i) -> (h, i, j)>\n"
      "#gy = affine_map<(b, t, h, j, i) -> (b, t, h, j)>\n"
      "// Head-wise projections: y[b, t, h, o] = Σ_i x[b, t, h, i] · W[h, o, "
      "i].\n"
      "#hx = affine_map<(b, t, h, o, i) -> (b, t, h, i)>\n"
      "#hw = affine_map<(b, t, h, o, i) -> (h, o, i)>\n"
      "#hy = affine_map<(b, t, h, o, i) -> (b, t, h, o)>\n\n";
  ImportedModel m;
  m.mlir = header() + maps +
           "// Model format 2 (docs/models.md): a preallocated KV cache with "
           "lengths.\nmodule attributes {hymir.model_format = 2 : i64} {\n\n" +
           "//===----------------------------------------------------------"
           "------------===//\n// Weights: external values bound by name (the "
           "checkpoint's tensor names).\n//===----------------------------"
           "------------------------------------------===//\n\n" +
           globals +
           "\n//===--------------------------------------------------------"
           "--------------===//\n// Entry points and layers\n//===----------"
           "------------------------------------------------------------===/"
           "/\n\n" +
           layerFuncs +
           "//===----------------------------------------------------------"
           "------------===//\n// Blocks\n//===--------------------------------"
           "--------------------------------------===//\n\n" +
           helpers + "} // module\n";
  m.weights = std::move(weights);
  return m;
}

} // namespace

ImportedModel hymir::import::emitModel(const ModelSpec &spec) {
  return Builder(spec).build();
}
