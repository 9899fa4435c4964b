//===- HymirOps.cpp - Hymir operations: verifiers, parsers, folders -------===//
//
// Each check is tagged with the invariant (Cn) it enforces; the numbering is
// the one in the op's description in HymirOps.td and in test/Dialect/Hymir/
// invalid.mlir.
//
//===----------------------------------------------------------------------===//

#include "hymir/Dialect/Hymir/IR/HymirOps.h"
#include "hymir/Dialect/Hymir/IR/ScanAnalysis.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace hymir;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Type hymir::getStepType(RankedTensorType type, unsigned drop) {
  ArrayRef<int64_t> shape = type.getShape();
  if (shape.size() <= drop)
    return type.getElementType();
  return RankedTensorType::get(shape.drop_front(drop), type.getElementType());
}

/// True if two dims are known to differ (both static and unequal).
static bool conflict(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

static RankedTensorType rtt(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

void AttentionOp::build(OpBuilder &b, OperationState &state, Type resultType,
                        Value query, Value key, Value value, bool causal,
                        FloatAttr scale, IntegerAttr window, FloatAttr softcap) {
  state.addOperands({query, key, value});
  if (causal)
    state.addAttribute(getCausalAttrName(state.name), b.getUnitAttr());
  if (scale)
    state.addAttribute(getScaleAttrName(state.name), scale);
  if (window)
    state.addAttribute(getWindowAttrName(state.name), window);
  if (softcap)
    state.addAttribute(getSoftcapAttrName(state.name), softcap);
  state.addRegion();
  state.addTypes(resultType);
}

/// Shared attribute checks of the two attention forms (C4).
template <typename OpTy>
static LogicalResult verifyAttentionAttrs(OpTy op) {
  if (auto w = op.getWindowAttr(); w && w.getInt() < 1)
    return op.emitOpError("C4: window must be at least 1, got ") << w.getInt();
  if (auto c = op.getSoftcapAttr(); c && !(c.getValueAsDouble() > 0.0))
    return op.emitOpError("C4: softcap must be positive");
  if (auto s = op.getScaleAttr(); s && !std::isfinite(s.getValueAsDouble()))
    return op.emitOpError("C4: scale must be finite");
  return success();
}

LogicalResult AttentionOp::verify() {
  auto q = rtt(getQuery()), k = rtt(getKey()), v = rtt(getValue());
  auto r = rtt(getResult());
  // C1
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return emitOpError("C1: query, key and value must be rank 4 [B, T, heads, dim]");
  if (conflict(q.getDimSize(0), k.getDimSize(0)) ||
      conflict(k.getDimSize(0), v.getDimSize(0)))
    return emitOpError("C1: query, key and value disagree on the batch size");
  if (conflict(k.getDimSize(1), v.getDimSize(1)))
    return emitOpError("C1: key and value disagree on the key length");
  if (conflict(k.getDimSize(2), v.getDimSize(2)))
    return emitOpError("C1: key and value disagree on the number of kv heads");
  if (conflict(q.getDimSize(3), k.getDimSize(3)))
    return emitOpError("C1: query head dim ")
           << dimStr(q.getDimSize(3)) << " differs from key head dim "
           << dimStr(k.getDimSize(3));
  // C2
  int64_t hq = q.getDimSize(2), hkv = k.getDimSize(2);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) || hkv < 1 ||
      hq % hkv != 0)
    return emitOpError("C2: query heads (")
           << dimStr(hq) << ") must be a static multiple of kv heads ("
           << dimStr(hkv) << ")";
  // C3
  if (r.getRank() != 4 || conflict(r.getDimSize(0), q.getDimSize(0)) ||
      conflict(r.getDimSize(1), q.getDimSize(1)) || r.getDimSize(2) != hq ||
      conflict(r.getDimSize(3), v.getDimSize(3)))
    return emitOpError("C3: result must be [B, Tq, Hq, V] = [")
           << dimStr(q.getDimSize(0)) << ", " << dimStr(q.getDimSize(1)) << ", "
           << hq << ", " << dimStr(v.getDimSize(3)) << "]";
  // C5
  if (getSinks()) {
    auto s = rtt(getSinks());
    if (s.getRank() != 1 || s.getDimSize(0) != hq)
      return emitOpError("C5: sinks must be [Hq] = [") << hq << "]";
  }
  return verifyAttentionAttrs(*this);
}

LogicalResult AttentionOp::verifyRegions() {
  Region &region = getScoreMod();
  if (region.empty())
    return success();
  // C6
  Block &block = region.front();
  auto args = block.getArgumentTypes();
  Builder b(getContext());
  if (args.size() != 4 || !isa<FloatType>(args[0]) || !args[1].isIndex() ||
      !args[2].isIndex() || !args[3].isIndex())
    return emitOpError("C6: score_mod takes (score: float, query position: "
                       "index, key position: index, head: index)");
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().size() != 1 ||
      yield.getValues()[0].getType() != args[0])
    return emitOpError("C6: score_mod must yield one score of type ") << args[0];
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionDecodeOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionDecodeOp::verify() {
  auto q = rtt(getQuery()), k = rtt(getKeyCache()), v = rtt(getValueCache());
  auto r = rtt(getResult());
  // C1
  if (q.getRank() != 3 || k.getRank() != 4 || v.getRank() != 4)
    return emitOpError("C1: query must be rank 3 [B, Hq, K] and caches rank 4 "
                       "[B, L, Hkv, dim]");
  if (conflict(q.getDimSize(0), k.getDimSize(0)) ||
      conflict(k.getDimSize(0), v.getDimSize(0)))
    return emitOpError("C1: query and caches disagree on the batch size");
  if (conflict(k.getDimSize(1), v.getDimSize(1)) ||
      conflict(k.getDimSize(2), v.getDimSize(2)))
    return emitOpError("C1: key and value caches disagree on length or heads");
  if (conflict(q.getDimSize(2), k.getDimSize(3)))
    return emitOpError("C1: query head dim differs from key head dim");
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(2);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) || hkv < 1 ||
      hq % hkv != 0)
    return emitOpError("C1: query heads (")
           << dimStr(hq) << ") must be a static multiple of kv heads ("
           << dimStr(hkv) << ")";
  // C2
  if (r.getRank() != 3 || conflict(r.getDimSize(0), q.getDimSize(0)) ||
      r.getDimSize(1) != hq || conflict(r.getDimSize(2), v.getDimSize(3)))
    return emitOpError("C2: result must be [B, Hq, V]");
  // C3
  if (getLengths()) {
    auto l = rtt(getLengths());
    if (l.getRank() != 1 || conflict(l.getDimSize(0), q.getDimSize(0)))
      return emitOpError("C3: lengths must be a 1-D tensor of size B");
  }
  return verifyAttentionAttrs(*this);
}

//===----------------------------------------------------------------------===//
// CausalConv1dOp
//===----------------------------------------------------------------------===//

/// `(, bias-type)? (, state-type)?`: one type per optional operand present, so
/// that a state without a bias is not mistaken for a bias.
static ParseResult parseConvOperandTypes(
    OpAsmParser &parser,
    const std::optional<OpAsmParser::UnresolvedOperand> &bias,
    const std::optional<OpAsmParser::UnresolvedOperand> &state, Type &biasType,
    Type &stateType) {
  if (bias && (parser.parseComma() || parser.parseType(biasType)))
    return failure();
  if (state && (parser.parseComma() || parser.parseType(stateType)))
    return failure();
  return success();
}

static void printConvOperandTypes(OpAsmPrinter &p, CausalConv1dOp, Value bias,
                                  Value state, Type biasType, Type stateType) {
  if (bias)
    p << ", " << biasType;
  if (state)
    p << ", " << stateType;
}

LogicalResult CausalConv1dOp::verify() {
  auto x = rtt(getInput()), w = rtt(getWeight());
  // C1
  if (x.getRank() != 3)
    return emitOpError("C1: input must be rank 3 [B, T, D]");
  if (w.getRank() != 2 || conflict(w.getDimSize(0), x.getDimSize(2)))
    return emitOpError("C1: weight must be [D, W] with D = ")
           << dimStr(x.getDimSize(2));
  int64_t width = w.getDimSize(1);
  if (ShapedType::isDynamic(width) || width < 1)
    return emitOpError("C1: the kernel width W must be static and at least 1");
  // C2
  if (getBias()) {
    auto b = rtt(getBias());
    if (b.getRank() != 1 || conflict(b.getDimSize(0), x.getDimSize(2)))
      return emitOpError("C2: bias must be [D]");
  }
  // C3
  if (getState()) {
    auto s = rtt(getState());
    if (s.getRank() != 3 || conflict(s.getDimSize(0), x.getDimSize(0)) ||
        s.getDimSize(1) != width - 1 || conflict(s.getDimSize(2), x.getDimSize(2)))
      return emitOpError("C3: state must be [B, W-1, D] = [")
             << dimStr(x.getDimSize(0)) << ", " << width - 1 << ", "
             << dimStr(x.getDimSize(2)) << "]";
    if (!getFinalState() || getFinalState().getType() != s)
      return emitOpError("C3: a state operand requires a final state result of "
                         "the same type");
  } else if (getFinalState()) {
    return emitOpError("C3: a final state result requires a state operand");
  }
  // C4
  if (getOutput().getType() != x)
    return emitOpError("C4: the output must have the input type");
  return success();
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

/// C1 and the eps invariant (`epsInvariant`: C2, or C3 for rms_norm).
template <typename OpTy>
static LogicalResult verifyNorm(OpTy op, StringRef epsInvariant) {
  if (op.getResult().getType() != op.getInput().getType())
    return op.emitOpError("C1: the result type must equal the input type");
  if (rtt(op.getInput()).getRank() < 1)
    return op.emitOpError("C1: the input must have rank at least 1");
  if (!(op.getEps().convertToDouble() >= 0.0))
    return op.emitOpError(epsInvariant) << ": eps must be non-negative, got "
                                        << op.getEps().convertToDouble();
  return success();
}

LogicalResult L2NormOp::verify() { return verifyNorm(*this, "C2"); }
LogicalResult LayerNormOp::verify() { return verifyNorm(*this, "C2"); }
LogicalResult RMSNormOp::verify() {
  if (failed(verifyNorm(*this, "C3")))
    return failure();
  auto x = rtt(getInput()), w = rtt(getWeight());
  if (w.getRank() != 1 || conflict(w.getDimSize(0), x.getShape().back()))
    return emitOpError("C2: weight must be 1-D of the last input dim");
  return success();
}

//===----------------------------------------------------------------------===//
// ScanOp / RecurrenceOp
//===----------------------------------------------------------------------===//

/// Common implementation of the two step ops (they share ODS arguments).
namespace {
template <typename OpTy>
struct StepOpImpl {
  static void build(OpBuilder &b, OperationState &state, TypeRange outputTypes,
                    ValueRange inputs, ValueRange params, ValueRange inits,
                    std::optional<int64_t> heads) {
    state.addOperands(inputs);
    state.addOperands(params);
    state.addOperands(inits);
    state.addAttribute(
        OpTy::getOperandSegmentSizesAttrName(state.name),
        b.getDenseI32ArrayAttr({static_cast<int32_t>(inputs.size()),
                                static_cast<int32_t>(params.size()),
                                static_cast<int32_t>(inits.size())}));
    state.addAttribute(
        StringAttr::get(b.getContext(), "resultSegmentSizes"),
        b.getDenseI32ArrayAttr({static_cast<int32_t>(outputTypes.size()),
                                static_cast<int32_t>(inits.size())}));
    if (heads)
      state.addAttribute(OpTy::getHeadsAttrName(state.name),
                         b.getI64IntegerAttr(*heads));
    state.addTypes(outputTypes);
    state.addTypes(ValueRange(inits).getTypes());
    state.addRegion();
  }

  static unsigned numLeading(OpTy op) { return op.hasTimeIndex() ? 1 : 0; }

  static bool hasTimeIndex(OpTy op) {
    Block &block = op.getBody().front();
    return block.getNumArguments() > 0 && block.getArgument(0).getType().isIndex();
  }

  // Custom syntax:
  //   hymir.scan [heads = H] [ins(%a, ... : types)] [params(...)] [inits(...)]
  //       -> (output types) [attributes {...}] { body }
  static ParseResult parse(OpAsmParser &parser, OperationState &result) {
    Builder &b = parser.getBuilder();
    if (succeeded(parser.parseOptionalKeyword("heads"))) {
      int64_t heads;
      if (parser.parseEqual() || parser.parseInteger(heads))
        return failure();
      result.addAttribute("heads", b.getI64IntegerAttr(heads));
    }
    SmallVector<int32_t> segments;
    for (StringRef group : {"ins", "params", "inits"}) {
      SmallVector<OpAsmParser::UnresolvedOperand> operands;
      SmallVector<Type> types;
      if (succeeded(parser.parseOptionalKeyword(group))) {
        SMLoc loc = parser.getCurrentLocation();
        if (parser.parseLParen() || parser.parseOperandList(operands) ||
            parser.parseColonTypeList(types) || parser.parseRParen() ||
            parser.resolveOperands(operands, types, loc, result.operands))
          return failure();
      }
      segments.push_back(operands.size());
      if (group == "inits")
        result.addTypes(types), segments.push_back(types.size());
    }
    SmallVector<Type> outputTypes;
    if (parser.parseArrow() || parser.parseLParen())
      return failure();
    if (failed(parser.parseOptionalRParen())) {
      if (parser.parseTypeList(outputTypes) || parser.parseRParen())
        return failure();
    }
    // Outputs come first among the results.
    result.types.insert(result.types.begin(), outputTypes.begin(),
                        outputTypes.end());
    result.addAttribute(OpTy::getOperandSegmentSizesAttrName(result.name),
                        b.getDenseI32ArrayAttr({segments[0], segments[1],
                                                segments[2]}));
    result.addAttribute("resultSegmentSizes",
                        b.getDenseI32ArrayAttr(
                            {static_cast<int32_t>(outputTypes.size()),
                             segments[3]}));
    if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
      return failure();
    Region *body = result.addRegion();
    if (parser.parseRegion(*body, /*arguments=*/{}))
      return failure();
    OpTy::ensureTerminator(*body, b, result.location);
    return success();
  }

  static void print(OpTy op, OpAsmPrinter &p) {
    if (auto heads = op.getHeadsAttr())
      p << " heads = " << heads.getInt();
    auto group = [&](StringRef name, OperandRange values) {
      if (values.empty())
        return;
      p.printNewline();
      p << "    " << name << "(" << values << " : " << values.getTypes() << ")";
    };
    group("ins", op.getInputs());
    group("params", op.getParams());
    group("inits", op.getInits());
    p << " -> (" << op.getOutputs().getTypes() << ")";
    p.printOptionalAttrDictWithKeyword(
        op->getAttrs(), {"heads", "operandSegmentSizes", "resultSegmentSizes"});
    p << " ";
    p.printRegion(op.getBody(), /*printEntryBlockArgs=*/true,
                  /*printBlockTerminators=*/true);
  }

  static LogicalResult verifyRegions(OpTy op) {
    std::optional<int64_t> heads;
    if (auto h = op.getHeadsAttr()) {
      // C8
      if (h.getInt() < 1)
        return op.emitOpError("C8: heads must be at least 1, got ") << h.getInt();
      heads = h.getInt();
    }
    unsigned hx = heads ? 1 : 0;
    auto checkHeadDim = [&](Value v, unsigned dim, StringRef what,
                            unsigned idx, StringRef inv, bool exact) -> LogicalResult {
      int64_t d = rtt(v).getDimSize(dim);
      bool ok = !ShapedType::isDynamic(d) && d >= 1 &&
                (exact ? d == *heads : *heads % d == 0);
      if (!ok)
        return op.emitOpError(inv)
               << ": " << what << " #" << idx << " has " << dimStr(d)
               << " heads, which must " << (exact ? "equal" : "divide")
               << " heads = " << *heads;
      return success();
    };
    auto checkStatic = [&](Value v, unsigned drop, StringRef what,
                           unsigned idx) -> LogicalResult {
      for (int64_t d : rtt(v).getShape().drop_front(drop))
        if (ShapedType::isDynamic(d))
          return op.emitOpError("C1: ")
                 << what << " #" << idx
                 << " has a dynamic per-step dim; only batch and time may be dynamic";
      return success();
    };

    // C1, C2: inputs.
    if (op.getInputs().empty())
      return op.emitOpError("C1: needs at least one input sequence");
    int64_t batch = ShapedType::kDynamic, time = ShapedType::kDynamic;
    auto unify = [&](int64_t &known, int64_t d) {
      if (conflict(known, d))
        return false;
      if (!ShapedType::isDynamic(d))
        known = d;
      return true;
    };
    for (auto [i, v] : llvm::enumerate(op.getInputs())) {
      auto t = rtt(v);
      if (t.getRank() < 2 + hx)
        return op.emitOpError("C2: input #")
               << i << " must have rank at least " << 2 + hx << " ([B, T"
               << (heads ? ", heads" : "") << ", ...])";
      if (!unify(batch, t.getDimSize(0)))
        return op.emitOpError("C2: input #") << i << " disagrees on the batch size";
      if (!unify(time, t.getDimSize(1)))
        return op.emitOpError("C2: input #") << i << " disagrees on the sequence length";
      if (heads && failed(checkHeadDim(v, 2, "input", i, "C2", false)))
        return failure();
      if (failed(checkStatic(v, 2 + hx, "input", i)))
        return failure();
    }
    // C3: params.
    for (auto [i, v] : llvm::enumerate(op.getParams())) {
      if (heads) {
        if (rtt(v).getRank() < 1)
          return op.emitOpError("C3: param #") << i << " needs a head axis";
        if (failed(checkHeadDim(v, 0, "param", i, "C3", false)))
          return failure();
      }
      if (failed(checkStatic(v, hx, "param", i)))
        return failure();
    }
    // C4: inits and finals.
    for (auto [i, v] : llvm::enumerate(op.getInits())) {
      auto t = rtt(v);
      if (t.getRank() < 1 + hx)
        return op.emitOpError("C4: init #")
               << i << " must have rank at least " << 1 + hx;
      if (!unify(batch, t.getDimSize(0)))
        return op.emitOpError("C4: init #") << i << " disagrees on the batch size";
      if (heads && failed(checkHeadDim(v, 1, "init", i, "C4", true)))
        return failure();
      if (failed(checkStatic(v, 1 + hx, "init", i)))
        return failure();
      if (op.getFinals()[i].getType() != t)
        return op.emitOpError("C4: final state #") << i << " must have the init type " << t;
      // DESIGN §2: states are kept and updated in f32 (or f64) whatever the
      // input type; a narrower float state would round at every step.
      if (auto f = dyn_cast<FloatType>(t.getElementType()); f && f.getWidth() < 32)
        return op.emitOpError("C4: init #")
               << i << " has element type " << f
               << "; states are f32 or f64 whatever the input type (DESIGN "
                  "§2): keep the state in f32 and widen bf16/f16 inputs with "
                  "arith.extf in the body";
    }
    // C5: outputs.
    for (auto [i, v] : llvm::enumerate(op.getOutputs())) {
      auto t = rtt(v);
      if (t.getRank() < 2 + hx || !unify(batch, t.getDimSize(0)) ||
          !unify(time, t.getDimSize(1)))
        return op.emitOpError("C5: output #")
               << i << " must be [B, T" << (heads ? ", heads" : "")
               << ", ...] matching the inputs";
      if (heads && failed(checkHeadDim(v, 2, "output", i, "C5", true)))
        return failure();
    }

    // C6: block arguments.
    Block &block = op.getBody().front();
    SmallVector<Type> expected;
    if (hasTimeIndex(op))
      expected.push_back(IndexType::get(op.getContext()));
    for (Value v : op.getInputs())
      expected.push_back(getStepType(rtt(v), 2 + hx));
    for (Value v : op.getParams())
      expected.push_back(getStepType(rtt(v), hx));
    for (Value v : op.getInits())
      expected.push_back(getStepType(rtt(v), 1 + hx));
    if (block.getNumArguments() != expected.size())
      return op.emitOpError("C6: the body takes ")
             << block.getNumArguments() << " arguments, expected "
             << expected.size() << " (an optional index, then one per input, "
             << "param and state)";
    for (auto [i, pair] : llvm::enumerate(llvm::zip(block.getArgumentTypes(), expected)))
      if (std::get<0>(pair) != std::get<1>(pair))
        return op.emitOpError("C6: body argument #")
               << i << " has type " << std::get<0>(pair) << ", expected "
               << std::get<1>(pair);

    // C7: the yield.
    auto yield = cast<YieldOp>(block.getTerminator());
    SmallVector<Type> yieldExpected;
    for (Value v : op.getOutputs())
      yieldExpected.push_back(getStepType(rtt(v), 2 + hx));
    for (Value v : op.getInits())
      yieldExpected.push_back(getStepType(rtt(v), 1 + hx));
    if (yield.getValues().size() != yieldExpected.size())
      return yield.emitOpError("C7: yields ")
             << yield.getValues().size() << " values, expected "
             << op.getOutputs().size() << " outputs + " << op.getInits().size()
             << " states";
    for (auto [i, pair] :
         llvm::enumerate(llvm::zip(yield.getValues().getTypes(), yieldExpected)))
      if (std::get<0>(pair) != std::get<1>(pair))
        return yield.emitOpError("C7: yielded value #")
               << i << " has type " << std::get<0>(pair) << ", expected "
               << std::get<1>(pair);
    return success();
  }
};
} // namespace

#define HYMIR_STEP_OP_METHODS(OpTy)                                            \
  void OpTy::build(OpBuilder &b, OperationState &state, TypeRange outputTypes, \
                   ValueRange inputs, ValueRange params, ValueRange inits,     \
                   std::optional<int64_t> heads) {                             \
    StepOpImpl<OpTy>::build(b, state, outputTypes, inputs, params, inits,      \
                            heads);                                            \
  }                                                                            \
  ParseResult OpTy::parse(OpAsmParser &parser, OperationState &result) {       \
    return StepOpImpl<OpTy>::parse(parser, result);                            \
  }                                                                            \
  void OpTy::print(OpAsmPrinter &p) { StepOpImpl<OpTy>::print(*this, p); }     \
  bool OpTy::hasTimeIndex() { return StepOpImpl<OpTy>::hasTimeIndex(*this); }  \
  Block::BlockArgListType OpTy::getInputArgs() {                               \
    return getBodyBlock().getArguments().slice(                                \
        StepOpImpl<OpTy>::numLeading(*this), getInputs().size());              \
  }                                                                            \
  Block::BlockArgListType OpTy::getParamArgs() {                               \
    return getBodyBlock().getArguments().slice(                                \
        StepOpImpl<OpTy>::numLeading(*this) + getInputs().size(),              \
        getParams().size());                                                   \
  }                                                                            \
  Block::BlockArgListType OpTy::getStateArgs() {                               \
    return getBodyBlock().getArguments().slice(                                \
        StepOpImpl<OpTy>::numLeading(*this) + getInputs().size() +             \
            getParams().size(),                                                \
        getInits().size());                                                    \
  }                                                                            \
  OperandRange OpTy::getYieldedOutputs() {                                     \
    return cast<YieldOp>(getBodyBlock().getTerminator())                       \
        .getValues()                                                           \
        .take_front(getOutputs().size());                                      \
  }                                                                            \
  OperandRange OpTy::getYieldedStates() {                                      \
    return cast<YieldOp>(getBodyBlock().getTerminator())                       \
        .getValues()                                                           \
        .drop_front(getOutputs().size());                                      \
  }

HYMIR_STEP_OP_METHODS(ScanOp)
HYMIR_STEP_OP_METHODS(RecurrenceOp)
#undef HYMIR_STEP_OP_METHODS

LogicalResult ScanOp::verifyRegions() {
  if (failed(StepOpImpl<ScanOp>::verifyRegions(*this)))
    return failure();
  // C9: the body must be affine in its state (ScanAnalysis reports the op).
  return verifyScanLinearity(*this);
}

LogicalResult RecurrenceOp::verifyRegions() {
  return StepOpImpl<RecurrenceOp>::verifyRegions(*this);
}

//===----------------------------------------------------------------------===//
// State algebra
//===----------------------------------------------------------------------===//

LogicalResult ScaleOp::verify() {
  auto x = rtt(getInput());
  // C1
  if (getResult().getType() != x)
    return emitOpError("C1: the result type must equal the input type");
  Type f = getFactor().getType();
  Type fElem = mlir::getElementTypeOrSelf(f);
  if (fElem != x.getElementType())
    return emitOpError("C1: factor element type ")
           << fElem << " differs from the input element type "
           << x.getElementType();
  // C2
  auto ft = dyn_cast<RankedTensorType>(f);
  if (!ft) {
    if (getAxis())
      return emitOpError("C2: a scalar factor takes no axis");
    return success();
  }
  if (ft.getRank() != 1 || x.getRank() != 2)
    return emitOpError("C2: a tensor factor must be 1-D and scale a 2-D input "
                       "along rows or cols (use arith.mulf for element-wise)");
  if (!getAxis())
    return emitOpError("C2: a 1-D factor needs `along rows` or `along cols`");
  unsigned dim = *getAxis() == Axis::rows ? 0 : 1;
  if (conflict(ft.getDimSize(0), x.getDimSize(dim)))
    return emitOpError("C2: factor size ")
           << dimStr(ft.getDimSize(0)) << " does not match input dim #" << dim
           << " of size " << dimStr(x.getDimSize(dim));
  return success();
}

OpFoldResult ScaleOp::fold(FoldAdaptor adaptor) {
  // x * 1 = x (exact in IEEE arithmetic, so always valid).
  if (auto f = dyn_cast_or_null<FloatAttr>(adaptor.getFactor()))
    if (f.getValue().isExactlyValue(1.0))
      return getInput();
  if (auto f = dyn_cast_or_null<SplatElementsAttr>(adaptor.getFactor()))
    if (f.getSplatValue<APFloat>().isExactlyValue(1.0))
      return getInput();
  return {};
}

LogicalResult OuterOp::verify() {
  auto a = rtt(getLhs()), b = rtt(getRhs()), r = rtt(getResult());
  // C1
  if (a.getRank() != b.getRank() || a.getRank() < 1 || a.getRank() > 2)
    return emitOpError("C1: operands must both be 1-D, or both 2-D [R, K] and [R, V]");
  if (a.getRank() == 2 && conflict(a.getDimSize(0), b.getDimSize(0)))
    return emitOpError("C1: operands disagree on the rank R");
  // C2
  int64_t k = a.getShape().back(), v = b.getShape().back();
  if (r.getRank() != 2 || conflict(r.getDimSize(0), k) ||
      conflict(r.getDimSize(1), v) || r.getElementType() != a.getElementType() ||
      a.getElementType() != b.getElementType())
    return emitOpError("C2: result must be [") << dimStr(k) << ", " << dimStr(v)
                                               << "] of the operand element type";
  return success();
}

LogicalResult ReadOp::verify() {
  auto s = rtt(getState()), x = rtt(getVector()), r = rtt(getResult());
  // C1
  if (s.getRank() != 2 || x.getRank() != 1)
    return emitOpError("C1: state must be 2-D and the vector 1-D");
  unsigned contracted = getAxis() == Axis::rows ? 0 : 1;
  if (conflict(s.getDimSize(contracted), x.getDimSize(0)))
    return emitOpError("C1: vector size ")
           << dimStr(x.getDimSize(0)) << " does not match the contracted "
           << (contracted == 0 ? "row" : "column") << " count "
           << dimStr(s.getDimSize(contracted));
  // C2
  if (r.getRank() != 1 || conflict(r.getDimSize(0), s.getDimSize(1 - contracted)) ||
      r.getElementType() != s.getElementType())
    return emitOpError("C2: result must be 1-D of size ")
           << dimStr(s.getDimSize(1 - contracted));
  return success();
}

LogicalResult DotOp::verify() {
  auto a = rtt(getLhs()), b = rtt(getRhs());
  if (a.getShape() != b.getShape())
    return emitOpError("C1: operands must have the same shape");
  if (getResult().getType() != a.getElementType() ||
      b.getElementType() != a.getElementType())
    return emitOpError("C2: result must be the operands' element type");
  return success();
}

LogicalResult SumOp::verify() {
  if (getResult().getType() != rtt(getInput()).getElementType())
    return emitOpError("C1: result must be the operand's element type");
  return success();
}

LogicalResult MixOp::verify() {
  auto m = rtt(getMatrix()), x = rtt(getInput()), r = rtt(getResult());
  if (m.getRank() != 2 || x.getRank() < 1 ||
      conflict(m.getDimSize(1), x.getDimSize(0)))
    return emitOpError("C1: matrix must be [A, L] with L = the leading input dim");
  SmallVector<int64_t> shape(x.getShape());
  shape[0] = m.getDimSize(0);
  if (r.getShape() != ArrayRef<int64_t>(shape) ||
      r.getElementType() != x.getElementType())
    return emitOpError("C2: result must be the input with its leading dim "
                       "replaced by the matrix rows");
  return success();
}

LogicalResult RotaryOp::verify() {
  auto x = rtt(getInput()), a = rtt(getAngles());
  if (getResult().getType() != x)
    return emitOpError("C1: the result type must equal the input type");
  if (a.getRank() != x.getRank() || x.getRank() < 1)
    return emitOpError("C2: angles must have the rank of the input");
  for (int64_t i = 0; i + 1 < x.getRank(); ++i)
    if (conflict(x.getDimSize(i), a.getDimSize(i)))
      return emitOpError("C2: angles and input disagree on dim #") << i;
  int64_t n = x.getShape().back(), r = a.getShape().back();
  if (!ShapedType::isDynamic(n) && !ShapedType::isDynamic(r) && r > n / 2)
    return emitOpError("C2: ")
           << r << " angles rotate " << r << " pairs of dims, more than the "
           << n << " available dims hold";
  return success();
}

#define GET_OP_CLASSES
#include "hymir/Dialect/Hymir/IR/HymirOps.cpp.inc"
