//===- HymirOps.cpp - Reference semantics of the hymir ops ----------------===//
//
// Each handler is the token-by-token definition of the op's description in
// HymirOps.td, written as plain loops in float64: attention materialises the
// masked score row of every query, scan and recurrence run their body once
// per (batch, head, time step), the state algebra ops are the formulas of
// their descriptions. Runtime shapes are checked against each other; dims
// that the IR leaves dynamic (batch, time, cache length) must agree at run
// time or the op fails with a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "InterpreterImpl.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace hymir;
using namespace hymir::ref;
using namespace hymir::ref::detail;

using Kind = Tensor::Kind;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// Reports that `what` has runtime size `got` where `expected` was needed.
InFlightDiagnostic sizeError(Interpreter &interp, Operation *op,
                             StringRef what, int64_t got, int64_t expected) {
  return interp.emitError(op)
         << "'" << op->getName() << "': " << what << " is " << got
         << " at run time, expected " << expected;
}

double silu(double x) { return x / (1.0 + std::exp(-x)); }

/// Product of the dims of `shape` from `first` on.
int64_t productFrom(ArrayRef<int64_t> shape, unsigned first) {
  int64_t n = 1;
  for (int64_t d : shape.drop_front(std::min<size_t>(first, shape.size())))
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// Softmax of the allowed `scores[j]` (allowed[j] != 0) against the values
/// `v[j, :]` (element (j, c) at v + j * vStride + c), with an optional sink
/// logit in the denominator only; writes `V` outputs. A row with no allowed
/// key, or whose allowed scores are all -inf, gives 0.
void softmaxRow(ArrayRef<double> scores, ArrayRef<char> allowed,
                const double *v, int64_t vStride, int64_t V,
                std::optional<double> sink, double *out) {
  double m = kNegInf;
  for (size_t j = 0; j < scores.size(); ++j)
    if (allowed[j])
      m = std::max(m, scores[j]);
  std::fill(out, out + V, 0.0);
  if (m == kNegInf)
    return;
  // Shifting by max(m, sink) instead of m changes nothing mathematically
  // and keeps a large sink from overflowing.
  double shift = sink ? std::max(m, *sink) : m;
  double denom = sink ? std::exp(*sink - shift) : 0.0;
  for (size_t j = 0; j < scores.size(); ++j) {
    if (!allowed[j])
      continue;
    double p = std::exp(scores[j] - shift);
    denom += p;
    const double *vj = v + j * vStride;
    for (int64_t c = 0; c < V; ++c)
      out[c] += p * vj[c];
  }
  for (int64_t c = 0; c < V; ++c)
    out[c] /= denom;
}

double dotRow(const double *a, const double *b, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i)
    s += a[i] * b[i];
  return s;
}

LogicalResult runAttention(Interpreter &interp, Operation *op, Frame &frame) {
  auto att = cast<AttentionOp>(op);
  const Tensor &q = frame.get(att.getQuery());
  const Tensor &k = frame.get(att.getKey());
  const Tensor &v = frame.get(att.getValue());
  int64_t B = q.getDimSize(0), Tq = q.getDimSize(1), Hq = q.getDimSize(2),
          K = q.getDimSize(3);
  int64_t Tk = k.getDimSize(1), Hkv = k.getDimSize(2), V = v.getDimSize(3);
  if (k.getDimSize(0) != B)
    return sizeError(interp, op, "the key batch size", k.getDimSize(0), B);
  if (v.getDimSize(0) != B)
    return sizeError(interp, op, "the value batch size", v.getDimSize(0), B);
  if (v.getDimSize(1) != Tk)
    return sizeError(interp, op, "the value length", v.getDimSize(1), Tk);
  if (v.getDimSize(2) != Hkv)
    return sizeError(interp, op, "the number of value heads", v.getDimSize(2),
                     Hkv);
  if (k.getDimSize(3) != K)
    return sizeError(interp, op, "the key head dim", k.getDimSize(3), K);
  if (Hkv < 1 || Hq % Hkv != 0)
    return interp.emitError(op) << "'hymir.attention': " << Hq
                                << " query heads are not a multiple of " << Hkv
                                << " kv heads";
  const Tensor *sinks = att.getSinks() ? &frame.get(att.getSinks()) : nullptr;
  if (sinks && (sinks->getRank() != 1 || sinks->getDimSize(0) != Hq))
    return interp.emitError(op) << "'hymir.attention': sinks of shape "
                                << sinks->getShapeString() << ", expected "
                                << Hq;

  double scale = att.getScaleAttr() ? att.getScaleAttr().getValueAsDouble()
                                    : 1.0 / std::sqrt(static_cast<double>(K));
  std::optional<double> softcap;
  if (att.getSoftcapAttr())
    softcap = att.getSoftcapAttr().getValueAsDouble();
  std::optional<int64_t> window;
  if (att.getWindowAttr())
    window = att.getWindowAttr().getInt();
  bool causal = att.getCausal();
  int64_t delta = Tk - Tq;
  int64_t group = Hq / Hkv;

  Block *mod = att.getScoreMod().empty() ? nullptr : &att.getScoreMod().front();
  SmallVector<Tensor *, 4> modArgs;
  if (mod) {
    for (BlockArgument arg : mod->getArguments())
      modArgs.push_back(&frame.slot(arg));
    if (modArgs.size() != 4)
      return interp.emitError(op) << "'hymir.attention': score_mod takes "
                                  << modArgs.size() << " arguments, expected 4";
  }
  SmallVector<const Tensor *, 1> yielded;

  if (failed(interp.checkAllocation(op, {B, Tq, Hq, V}, "result")))
    return failure();
  Tensor result = Tensor::getZeros(Kind::Float, {B, Tq, Hq, V});
  // A row of scores per query. Its length comes from the keys, which may be
  // empty in another dim (a key dim of 0 with 2^32 positions): checked too.
  int64_t rowLen = result.getNumElements() ? Tk : 0;
  if (failed(interp.checkAllocation(op, {rowLen}, "a query's row of scores")))
    return failure();
  std::vector<double> scores(rowLen);
  std::vector<char> allowed(rowLen);
  int64_t iv[4] = {0, 0, 0, 0};
  static const StringRef kNames[] = {"batch", "head", "query", "key"};
  interp.pushContext({op, "score", kNames, iv});
  llvm::scope_exit pop([&] { interp.popContext(); });

  const double *qp = q.getFloats().data(), *kp = k.getFloats().data(),
               *vp = v.getFloats().data();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < Hq; ++h) {
      int64_t hk = h / group;
      for (int64_t i = 0; i < Tq; ++i) {
        int64_t pos = i + delta; // the query's position among the keys
        const double *qi = qp + ((b * Tq + i) * Hq + h) * K;
        for (int64_t j = 0; j < Tk; ++j) {
          allowed[j] = (!causal || j <= pos) && (!window || pos - *window < j);
          if (!allowed[j])
            continue;
          const double *kj = kp + ((b * Tk + j) * Hkv + hk) * K;
          double s = scale * dotRow(qi, kj, K);
          if (softcap)
            s = *softcap * std::tanh(s / *softcap);
          if (mod) {
            iv[0] = b, iv[1] = h, iv[2] = i, iv[3] = j;
            modArgs[0]->setScalar(s);
            modArgs[1]->setIntScalar(pos);
            modArgs[2]->setIntScalar(j);
            modArgs[3]->setIntScalar(h);
            if (failed(interp.runBlock(*mod, frame, &yielded)))
              return failure();
            if (yielded.size() != 1 || !yielded[0]->isFloat())
              return interp.emitError(op)
                     << "'hymir.attention': score_mod must yield one score";
            s = yielded[0]->getFloats()[0];
          }
          scores[j] = s;
        }
        std::optional<double> sink;
        if (sinks)
          sink = sinks->getFloats()[h];
        softmaxRow(scores, allowed, vp + (b * Tk * Hkv + hk) * V, Hkv * V, V,
                   sink,
                   result.getFloats().data() + ((b * Tq + i) * Hq + h) * V);
      }
    }
  }
  frame.slot(att.getResult()) = std::move(result);
  return success();
}

LogicalResult runAttentionDecode(Interpreter &interp, Operation *op,
                                 Frame &frame) {
  auto att = cast<AttentionDecodeOp>(op);
  const Tensor &q = frame.get(att.getQuery());
  const Tensor &k = frame.get(att.getKeyCache());
  const Tensor &v = frame.get(att.getValueCache());
  int64_t B = q.getDimSize(0), Hq = q.getDimSize(1), K = q.getDimSize(2);
  int64_t L = k.getDimSize(1), Hkv = k.getDimSize(2), V = v.getDimSize(3);
  if (k.getDimSize(0) != B)
    return sizeError(interp, op, "the key cache batch size", k.getDimSize(0),
                     B);
  if (v.getDimSize(0) != B)
    return sizeError(interp, op, "the value cache batch size",
                     v.getDimSize(0), B);
  if (v.getDimSize(1) != L)
    return sizeError(interp, op, "the value cache length", v.getDimSize(1), L);
  if (v.getDimSize(2) != Hkv)
    return sizeError(interp, op, "the number of value cache heads",
                     v.getDimSize(2), Hkv);
  if (k.getDimSize(3) != K)
    return sizeError(interp, op, "the key head dim", k.getDimSize(3), K);
  if (Hkv < 1 || Hq % Hkv != 0)
    return interp.emitError(op) << "'hymir.attention_decode': " << Hq
                                << " query heads are not a multiple of " << Hkv
                                << " kv heads";
  const Tensor *lengths =
      att.getLengths() ? &frame.get(att.getLengths()) : nullptr;
  if (lengths && lengths->getDimSize(0) != B)
    return sizeError(interp, op, "the size of lengths",
                     lengths->getDimSize(0), B);

  double scale = att.getScaleAttr() ? att.getScaleAttr().getValueAsDouble()
                                    : 1.0 / std::sqrt(static_cast<double>(K));
  std::optional<double> softcap;
  if (att.getSoftcapAttr())
    softcap = att.getSoftcapAttr().getValueAsDouble();
  std::optional<int64_t> window;
  if (att.getWindowAttr())
    window = att.getWindowAttr().getInt();
  int64_t group = Hq / Hkv;

  if (failed(interp.checkAllocation(op, {B, Hq, V}, "result")))
    return failure();
  Tensor result = Tensor::getZeros(Kind::Float, {B, Hq, V});
  int64_t rowLen = result.getNumElements() ? L : 0; // as in runAttention
  if (failed(interp.checkAllocation(op, {rowLen}, "a query's row of scores")))
    return failure();
  std::vector<double> scores(rowLen);
  std::vector<char> allowed(rowLen);
  const double *qp = q.getFloats().data(), *kp = k.getFloats().data(),
               *vp = v.getFloats().data();
  for (int64_t b = 0; b < B; ++b) {
    int64_t len = lengths ? lengths->getInts()[b] : L;
    if (len < 0 || len > L)
      return interp.emitError(op)
             << "'hymir.attention_decode': lengths[" << b << "] = " << len
             << " is outside the cache length [0, " << L << "]";
    int64_t pos = len - 1; // the query's position
    for (int64_t h = 0; h < Hq; ++h) {
      int64_t hk = h / group;
      const double *qh = qp + (b * Hq + h) * K;
      for (int64_t j = 0; j < L; ++j) {
        allowed[j] = j < len && (!window || pos - *window < j);
        if (!allowed[j])
          continue;
        double s = scale * dotRow(qh, kp + ((b * L + j) * Hkv + hk) * K, K);
        if (softcap)
          s = *softcap * std::tanh(s / *softcap);
        scores[j] = s;
      }
      softmaxRow(scores, allowed, vp + (b * L * Hkv + hk) * V, Hkv * V, V,
                 std::nullopt, result.getFloats().data() + (b * Hq + h) * V);
    }
  }
  frame.slot(att.getResult()) = std::move(result);
  return success();
}

//===----------------------------------------------------------------------===//
// Short convolution and norms
//===----------------------------------------------------------------------===//

LogicalResult runCausalConv1d(Interpreter &interp, Operation *op,
                              Frame &frame) {
  auto conv = cast<CausalConv1dOp>(op);
  const Tensor &x = frame.get(conv.getInput());
  const Tensor &w = frame.get(conv.getWeight());
  int64_t B = x.getDimSize(0), T = x.getDimSize(1), D = x.getDimSize(2);
  int64_t W = w.getDimSize(1);
  if (w.getDimSize(0) != D)
    return sizeError(interp, op, "the weight's channel dim", w.getDimSize(0),
                     D);
  if (W < 1)
    return interp.emitError(op) << "'hymir.causal_conv1d': kernel width " << W
                                << " is less than 1";
  const Tensor *bias = conv.getBias() ? &frame.get(conv.getBias()) : nullptr;
  if (bias && bias->getDimSize(0) != D)
    return sizeError(interp, op, "the bias size", bias->getDimSize(0), D);
  const Tensor *state = conv.getState() ? &frame.get(conv.getState()) : nullptr;
  if (state) {
    if (state->getDimSize(0) != B)
      return sizeError(interp, op, "the state batch size",
                       state->getDimSize(0), B);
    if (state->getDimSize(1) != W - 1)
      return sizeError(interp, op, "the state length", state->getDimSize(1),
                       W - 1);
    if (state->getDimSize(2) != D)
      return sizeError(interp, op, "the state channel dim",
                       state->getDimSize(2), D);
  }
  bool useSilu = conv.getActivation() == Activation::silu;

  // xx = concat_time(state or zeros, input): W - 1 + T rows of D channels.
  // Every buffer is checked: with an empty input (B = 0) T may be anything,
  // and the window rows and the final state take W from the weight.
  int64_t rows = W - 1 + T;
  if (failed(interp.checkAllocation(op, {B, T, D}, "result")) ||
      failed(interp.checkAllocation(op, {B, W - 1, D}, "final state")) ||
      failed(interp.checkAllocation(op, {B ? rows : 0, D}, "the window rows")))
    return failure();
  std::vector<double> xx(B ? rows * D : 0);
  Tensor y = Tensor::getZeros(Kind::Float, {B, T, D});
  Tensor finalState = Tensor::getZeros(Kind::Float, {B, W - 1, D});
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t r = 0; r < W - 1; ++r)
      for (int64_t c = 0; c < D; ++c)
        xx[r * D + c] = state ? state->getFloats()[(b * (W - 1) + r) * D + c]
                              : 0.0;
    std::copy_n(x.getFloats().begin() + b * T * D, T * D,
                xx.begin() + (W - 1) * D);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t c = 0; c < D; ++c) {
        double acc = bias ? bias->getFloats()[c] : 0.0;
        for (int64_t j = 0; j < W; ++j)
          acc += w.getFloats()[c * W + j] * xx[(t + j) * D + c];
        y.getFloats()[(b * T + t) * D + c] = useSilu ? silu(acc) : acc;
      }
    // final_state = xx[T : T + W - 1]
    std::copy_n(xx.begin() + T * D, (W - 1) * D,
                finalState.getFloats().begin() + b * (W - 1) * D);
  }
  frame.slot(conv.getOutput()) = std::move(y);
  if (conv.getFinalState())
    frame.slot(conv.getFinalState()) = std::move(finalState);
  return success();
}

/// Applies `fn(row, out, n)` to every row of the last dimension.
template <typename Fn>
LogicalResult normRows(Operation *op, Frame &frame, Fn fn) {
  const Tensor &x = frame.get(op->getOperand(0));
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Float, x.getShape());
  int64_t n = x.getShape().back();
  if (n == 0)
    return success();
  int64_t rows = x.getNumElements() / n;
  for (int64_t i = 0; i < rows; ++i)
    fn(x.getFloats().data() + i * n, r.getFloats().data() + i * n, n);
  return success();
}

LogicalResult runL2Norm(Interpreter &, Operation *op, Frame &frame) {
  double eps = cast<L2NormOp>(op).getEps().convertToDouble();
  return normRows(op, frame, [eps](const double *x, double *y, int64_t n) {
    double ss = 0.0;
    for (int64_t i = 0; i < n; ++i)
      ss += x[i] * x[i];
    double inv = 1.0 / std::sqrt(ss + eps);
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] * inv;
  });
}

LogicalResult runLayerNorm(Interpreter &, Operation *op, Frame &frame) {
  double eps = cast<LayerNormOp>(op).getEps().convertToDouble();
  return normRows(op, frame, [eps](const double *x, double *y, int64_t n) {
    double mean = 0.0;
    for (int64_t i = 0; i < n; ++i)
      mean += x[i];
    mean /= static_cast<double>(n);
    double var = 0.0;
    for (int64_t i = 0; i < n; ++i)
      var += (x[i] - mean) * (x[i] - mean);
    var /= static_cast<double>(n);
    double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < n; ++i)
      y[i] = (x[i] - mean) * inv;
  });
}

LogicalResult runRMSNorm(Interpreter &interp, Operation *op, Frame &frame) {
  auto norm = cast<RMSNormOp>(op);
  double eps = norm.getEps().convertToDouble();
  const Tensor &x = frame.get(norm.getInput());
  const Tensor &w = frame.get(norm.getWeight());
  if (w.getDimSize(0) != x.getShape().back())
    return sizeError(interp, op, "the weight size", w.getDimSize(0),
                     x.getShape().back());
  const double *wp = w.getFloats().data();
  return normRows(op, frame, [eps, wp](const double *x, double *y, int64_t n) {
    double ss = 0.0;
    for (int64_t i = 0; i < n; ++i)
      ss += x[i] * x[i];
    double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] * inv * wp[i];
  });
}

//===----------------------------------------------------------------------===//
// Scan and recurrence
//===----------------------------------------------------------------------===//

/// Runs a scan or a recurrence: for each batch element b and head h, the
/// body once per time step t with the slices of that (b, t, h), carrying the
/// states. Both ops have the same execution semantics; only their verifiers
/// differ.
template <typename OpTy>
LogicalResult runStep(Interpreter &interp, OpTy op, Frame &frame) {
  Operation *raw = op.getOperation();
  bool hasHeads = static_cast<bool>(op.getHeadsAttr());
  int64_t H = hasHeads ? op.getHeadsAttr().getInt() : 1;
  unsigned hx = hasHeads ? 1 : 0;
  StringRef name = raw->getName().getStringRef();

  // Inputs [B, T, (Hx,) d...]: B and T must agree.
  SmallVector<const Tensor *, 8> inputs;
  for (Value v : op.getInputs())
    inputs.push_back(&frame.get(v));
  if (inputs.empty())
    return interp.emitError(raw) << "'" << name << "' has no input sequence";
  int64_t B = inputs[0]->getDimSize(0), T = inputs[0]->getDimSize(1);
  SmallVector<int64_t, 8> inGroup, inStep;
  for (auto [i, t] : llvm::enumerate(inputs)) {
    if (t->getDimSize(0) != B || t->getDimSize(1) != T)
      return interp.emitError(raw)
             << "'" << name << "': input #" << i << " has batch x time "
             << t->getDimSize(0) << "x" << t->getDimSize(1)
             << " at run time but input #0 has " << B << "x" << T;
    int64_t heads = hasHeads ? t->getDimSize(2) : 1;
    if (heads < 1 || H % heads != 0)
      return interp.emitError(raw) << "'" << name << "': input #" << i
                                   << " has " << heads
                                   << " heads, which do not divide " << H;
    inGroup.push_back(H / heads);
    inStep.push_back(productFrom(t->getShape(), 2 + hx));
  }
  // Params [(Hp,) d...].
  SmallVector<const Tensor *, 8> params;
  SmallVector<int64_t, 8> parGroup, parStep;
  for (auto [i, v] : llvm::enumerate(op.getParams())) {
    const Tensor *t = &frame.get(v);
    int64_t heads = hasHeads ? t->getDimSize(0) : 1;
    if (heads < 1 || H % heads != 0)
      return interp.emitError(raw) << "'" << name << "': param #" << i
                                   << " has " << heads
                                   << " heads, which do not divide " << H;
    params.push_back(t);
    parGroup.push_back(H / heads);
    parStep.push_back(productFrom(t->getShape(), hx));
  }
  // Inits [B, (H,) d...].
  SmallVector<const Tensor *, 8> inits;
  SmallVector<int64_t, 8> stateStep;
  for (auto [i, v] : llvm::enumerate(op.getInits())) {
    const Tensor *t = &frame.get(v);
    if (t->getDimSize(0) != B)
      return interp.emitError(raw) << "'" << name << "': init #" << i
                                   << " has batch size " << t->getDimSize(0)
                                   << " at run time but the inputs have " << B;
    if (hasHeads && t->getDimSize(1) != H)
      return interp.emitError(raw) << "'" << name << "': init #" << i << " has "
                                   << t->getDimSize(1) << " heads, expected "
                                   << H;
    inits.push_back(t);
    stateStep.push_back(productFrom(t->getShape(), 1 + hx));
  }

  // Outputs [B, T, (H,) o...] with static o....
  Block &body = op.getBodyBlock();
  SmallVector<Tensor, 4> outputs;
  SmallVector<int64_t, 4> outStep;
  for (Value r : op.getOutputs()) {
    auto type = cast<RankedTensorType>(r.getType());
    SmallVector<int64_t, 4> shape{B, T};
    if (hasHeads)
      shape.push_back(H);
    int64_t step = 1;
    for (int64_t d : type.getShape().drop_front(2 + hx)) {
      if (ShapedType::isDynamic(d))
        return interp.emitError(raw) << "'" << name
                                     << "': an output has a dynamic per-step "
                                        "dim";
      shape.push_back(d);
    }
    if (failed(interp.checkAllocation(
            raw, shape, ("output #" + llvm::Twine(outputs.size())).str())))
      return failure();
    step = productFrom(shape, 2 + hx);
    outputs.push_back(Tensor::getZeros(Kind::Float, shape));
    outStep.push_back(step);
  }
  SmallVector<Tensor, 4> finals;
  for (const Tensor *t : inits)
    finals.push_back(*t);

  // Block arguments.
  Tensor *indexArg = op.hasTimeIndex() ? &frame.slot(body.getArgument(0))
                                       : nullptr;
  SmallVector<std::pair<Tensor *, Type>, 8> inArgs, parArgs, stateArgs;
  for (BlockArgument a : op.getInputArgs())
    inArgs.push_back({&frame.slot(a), a.getType()});
  for (BlockArgument a : op.getParamArgs())
    parArgs.push_back({&frame.slot(a), a.getType()});
  for (BlockArgument a : op.getStateArgs())
    stateArgs.push_back({&frame.slot(a), a.getType()});
  if (inArgs.size() != inputs.size() || parArgs.size() != params.size() ||
      stateArgs.size() != inits.size())
    return interp.emitError(raw) << "'" << name
                                 << "' body arguments do not match its "
                                    "operands";

  SmallVector<const Tensor *, 8> yielded;
  SmallVector<Tensor, 4> newStates(inits.size());
  // Error notes name (batch, t[, head]) of the failing step.
  int64_t iv[3] = {0, 0, 0};
  static const StringRef kNames[] = {"batch", "t", "head"};
  interp.pushContext({raw, "step", ArrayRef<StringRef>(kNames).take_front(2 + hx),
                      ArrayRef<int64_t>(iv).take_front(2 + hx)});
  llvm::scope_exit pop([&] { interp.popContext(); });

  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      iv[0] = b, iv[2] = h;
      for (auto [k, arg] : llvm::enumerate(parArgs))
        setSlice(*arg.first, arg.second, *params[k],
                 (h / parGroup[k]) * parStep[k]);
      for (auto [k, arg] : llvm::enumerate(stateArgs))
        setSlice(*arg.first, arg.second, *inits[k], (b * H + h) * stateStep[k]);
      for (int64_t t = 0; t < T; ++t) {
        iv[1] = t;
        if (indexArg)
          indexArg->setIntScalar(t);
        for (auto [k, arg] : llvm::enumerate(inArgs)) {
          int64_t heads = H / inGroup[k];
          int64_t slice = (b * T + t) * heads + h / inGroup[k];
          setSlice(*arg.first, arg.second, *inputs[k], slice * inStep[k]);
        }
        if (failed(interp.runBlock(body, frame, &yielded)))
          return failure();
        if (yielded.size() != outputs.size() + inits.size())
          return interp.emitError(raw) << "'" << name << "' body yields "
                                       << yielded.size() << " values, expected "
                                       << outputs.size() + inits.size();
        for (auto [j, out] : llvm::enumerate(outputs)) {
          const Tensor &y = *yielded[j];
          if (!y.isFloat() || y.getNumElements() != outStep[j])
            return interp.emitError(raw)
                   << "'" << name << "': output #" << j << " has "
                   << y.getNumElements() << " elements per step, expected "
                   << outStep[j];
          std::copy(y.getFloats().begin(), y.getFloats().end(),
                    out.getFloats().begin() +
                        ((b * T + t) * H + h) * outStep[j]);
        }
        // Copy the new states out before overwriting any state argument: a
        // body may yield its states permuted.
        for (auto [k, s] : llvm::enumerate(newStates))
          s = *yielded[outputs.size() + k];
        for (auto [k, arg] : llvm::enumerate(stateArgs))
          std::swap(*arg.first, newStates[k]);
      }
      for (auto [k, arg] : llvm::enumerate(stateArgs)) {
        const Tensor &s = *arg.first;
        if (s.getNumElements() != stateStep[k])
          return interp.emitError(raw)
                 << "'" << name << "': state #" << k << " has "
                 << s.getNumElements() << " elements, expected "
                 << stateStep[k];
        std::copy(s.getFloats().begin(), s.getFloats().end(),
                  finals[k].getFloats().begin() + (b * H + h) * stateStep[k]);
      }
    }
  }
  for (auto [r, t] : llvm::zip(op.getOutputs(), outputs))
    frame.slot(r) = std::move(t);
  for (auto [r, t] : llvm::zip(op.getFinals(), finals))
    frame.slot(r) = std::move(t);
  return success();
}

LogicalResult runScan(Interpreter &interp, Operation *op, Frame &frame) {
  return runStep(interp, cast<ScanOp>(op), frame);
}

LogicalResult runRecurrence(Interpreter &interp, Operation *op, Frame &frame) {
  return runStep(interp, cast<RecurrenceOp>(op), frame);
}

//===----------------------------------------------------------------------===//
// State algebra
//===----------------------------------------------------------------------===//

LogicalResult runScale(Interpreter &interp, Operation *op, Frame &frame) {
  auto scale = cast<ScaleOp>(op);
  const Tensor &x = frame.get(scale.getInput());
  const Tensor &f = frame.get(scale.getFactor());
  Tensor &r = frame.slot(scale.getResult());
  const std::vector<double> &xv = x.getFloats(), &fv = f.getFloats();
  if (f.getRank() == 0) {
    r.reset(Kind::Float, x.getShape());
    double a = fv[0];
    for (size_t i = 0; i < xv.size(); ++i)
      r.getFloats()[i] = a * xv[i];
    return success();
  }
  std::optional<Axis> axis = scale.getAxis();
  if (!axis || x.getRank() != 2 || f.getRank() != 1)
    return interp.emitError(op) << "'hymir.scale': a factor of shape "
                                << f.getShapeString()
                                << " needs an axis and a 2-D input";
  int64_t rows = x.getDimSize(0), cols = x.getDimSize(1);
  int64_t expected = *axis == Axis::rows ? rows : cols;
  if (f.getDimSize(0) != expected)
    return sizeError(interp, op, "the factor size", f.getDimSize(0), expected);
  r.reset(Kind::Float, x.getShape());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      r.getFloats()[i * cols + j] =
          (*axis == Axis::rows ? fv[i] : fv[j]) * xv[i * cols + j];
  return success();
}

LogicalResult runOuter(Interpreter &interp, Operation *op, Frame &frame) {
  auto outer = cast<OuterOp>(op);
  const Tensor &a = frame.get(outer.getLhs());
  const Tensor &b = frame.get(outer.getRhs());
  Tensor &r = frame.slot(outer.getResult());
  if (a.getRank() != b.getRank() || a.getRank() < 1 || a.getRank() > 2)
    return interp.emitError(op) << "'hymir.outer' operands of shapes "
                                << a.getShapeString() << " and "
                                << b.getShapeString()
                                << " are not both 1-D or both 2-D";
  // y = Σ_r a[r] ⊗ b[r]; a 1-D pair is the case R = 1.
  bool rank2 = a.getRank() == 2;
  int64_t R = rank2 ? a.getDimSize(0) : 1;
  if (rank2 && b.getDimSize(0) != R)
    return sizeError(interp, op, "the rank of the right operand",
                     b.getDimSize(0), R);
  int64_t K = a.getShape().back(), V = b.getShape().back();
  if (failed(interp.checkAllocation(op, {K, V}, "result")))
    return failure();
  r.reset(Kind::Float, {K, V});
  std::vector<double> &y = r.getFloats();
  std::fill(y.begin(), y.end(), 0.0);
  const double *ap = a.getFloats().data(), *bp = b.getFloats().data();
  for (int64_t q = 0; q < R; ++q)
    for (int64_t i = 0; i < K; ++i)
      for (int64_t j = 0; j < V; ++j)
        y[i * V + j] += ap[q * K + i] * bp[q * V + j];
  return success();
}

LogicalResult runRead(Interpreter &interp, Operation *op, Frame &frame) {
  auto read = cast<ReadOp>(op);
  const Tensor &s = frame.get(read.getState());
  const Tensor &x = frame.get(read.getVector());
  int64_t rows = s.getDimSize(0), cols = s.getDimSize(1);
  bool alongRows = read.getAxis() == Axis::rows;
  int64_t contracted = alongRows ? rows : cols;
  if (x.getDimSize(0) != contracted)
    return sizeError(interp, op, "the vector size", x.getDimSize(0),
                     contracted);
  Tensor &r = frame.slot(read.getResult());
  const double *sp = s.getFloats().data(), *xp = x.getFloats().data();
  if (alongRows) { // y[j] = Σ_i S[i, j] x[i]
    r.reset(Kind::Float, {cols});
    std::fill(r.getFloats().begin(), r.getFloats().end(), 0.0);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        r.getFloats()[j] += sp[i * cols + j] * xp[i];
  } else { // y[i] = Σ_j S[i, j] x[j]
    r.reset(Kind::Float, {rows});
    for (int64_t i = 0; i < rows; ++i)
      r.getFloats()[i] = dotRow(sp + i * cols, xp, cols);
  }
  return success();
}

LogicalResult runDot(Interpreter &interp, Operation *op, Frame &frame) {
  const Tensor &a = frame.get(op->getOperand(0));
  const Tensor &b = frame.get(op->getOperand(1));
  if (a.getShape() != b.getShape())
    return interp.emitError(op) << "'hymir.dot' operand shapes "
                                << a.getShapeString() << " and "
                                << b.getShapeString() << " differ at run time";
  frame.slot(op->getResult(0))
      .setScalar(dotRow(a.getFloats().data(), b.getFloats().data(),
                        a.getNumElements()));
  return success();
}

LogicalResult runSum(Interpreter &, Operation *op, Frame &frame) {
  const Tensor &a = frame.get(op->getOperand(0));
  double s = 0.0;
  for (double x : a.getFloats())
    s += x;
  frame.slot(op->getResult(0)).setScalar(s);
  return success();
}

LogicalResult runMix(Interpreter &interp, Operation *op, Frame &frame) {
  auto mix = cast<MixOp>(op);
  const Tensor &m = frame.get(mix.getMatrix());
  const Tensor &x = frame.get(mix.getInput());
  int64_t A = m.getDimSize(0), L = m.getDimSize(1);
  if (x.getRank() < 1 || x.getDimSize(0) != L)
    return sizeError(interp, op, "the input's leading dim",
                     x.getRank() ? x.getDimSize(0) : 0, L);
  int64_t inner = L == 0 ? 0 : x.getNumElements() / L;
  SmallVector<int64_t, 4> shape(x.getShape());
  shape[0] = A;
  if (failed(interp.checkAllocation(op, shape, "result")))
    return failure();
  Tensor &r = frame.slot(mix.getResult());
  r.reset(Kind::Float, shape);
  const double *mp = m.getFloats().data(), *xp = x.getFloats().data();
  for (int64_t a = 0; a < A; ++a)
    for (int64_t e = 0; e < inner; ++e) {
      double acc = 0.0;
      for (int64_t l = 0; l < L; ++l)
        acc += mp[a * L + l] * xp[l * inner + e];
      r.getFloats()[a * inner + e] = acc;
    }
  return success();
}

LogicalResult runRotary(Interpreter &interp, Operation *op, Frame &frame) {
  auto rot = cast<RotaryOp>(op);
  const Tensor &x = frame.get(rot.getInput());
  const Tensor &ang = frame.get(rot.getAngles());
  if (x.getRank() < 1 || ang.getRank() != x.getRank() ||
      x.getShape().drop_back() != ang.getShape().drop_back())
    return interp.emitError(op) << "'hymir.rotary': angles of shape "
                                << ang.getShapeString()
                                << " do not fit an input of shape "
                                << x.getShapeString();
  int64_t N = x.getShape().back(), R = ang.getShape().back();
  if (2 * R > N)
    return interp.emitError(op) << "'hymir.rotary': " << R
                                << " angles need 2R <= N = " << N;
  bool interleaved = rot.getInterleaved();
  Tensor &r = frame.slot(rot.getResult());
  r = x;
  int64_t rows = N == 0 ? 0 : x.getNumElements() / N;
  for (int64_t row = 0; row < rows; ++row) {
    const double *xr = x.getFloats().data() + row * N;
    const double *phi = ang.getFloats().data() + row * R;
    double *yr = r.getFloats().data() + row * N;
    for (int64_t i = 0; i < R; ++i) {
      int64_t ia = interleaved ? 2 * i : i;
      int64_t ib = interleaved ? 2 * i + 1 : i + R;
      double c = std::cos(phi[i]), s = std::sin(phi[i]);
      double a = xr[ia], b = xr[ib];
      yr[ia] = a * c - b * s;
      yr[ib] = a * s + b * c;
    }
  }
  return success();
}

} // namespace

void hymir::ref::detail::registerHymirHandlers(HandlerTable &table) {
  table["hymir.attention"] = runAttention;
  table["hymir.attention_decode"] = runAttentionDecode;
  table["hymir.causal_conv1d"] = runCausalConv1d;
  table["hymir.l2_norm"] = runL2Norm;
  table["hymir.layer_norm"] = runLayerNorm;
  table["hymir.rms_norm"] = runRMSNorm;
  table["hymir.scan"] = runScan;
  table["hymir.recurrence"] = runRecurrence;
  table["hymir.scale"] = runScale;
  table["hymir.outer"] = runOuter;
  table["hymir.read"] = runRead;
  table["hymir.dot"] = runDot;
  table["hymir.sum"] = runSum;
  table["hymir.mix"] = runMix;
  table["hymir.rotary"] = runRotary;
}
