//===- HymirCanonicalize.cpp - Canonicalization patterns of Hymir ops -----===//
//
// Local, exact and always profitable rewrites (STYLE §2.3 rule 7):
//
// * hymir.scan / hymir.recurrence: an output result with no uses is dropped
//   from the results and from the yield (the final states stay: they define
//   the recurrence); a recorded `transition` is recomputed for the new body.
// * hymir.scan / hymir.recurrence: a `tensor.cast` that erased static batch or
//   time sizes of an operand (shape specialisation casts the static entry
//   arguments back to the types the body was written with) is folded into
//   the op, whose results get the static sizes and are cast back.
// * hymir.scale of hymir.scale, both by scalar constants: one scale by the
//   product, only where that gives the same result for every input (see
//   isExactCombination).
//
//===----------------------------------------------------------------------===//

#include "hymir/Dialect/Hymir/IR/HymirOps.h"
#include "hymir/Dialect/Hymir/IR/ScanAnalysis.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace hymir;

namespace {

//===----------------------------------------------------------------------===//
// ScanOp / RecurrenceOp
//===----------------------------------------------------------------------===//

/// Drops the output results that have no uses. Outputs are pure functions of
/// the step's values, so removing one changes nothing else; the body ops that
/// only fed it become dead and are erased by the driver.
template <typename OpTy>
struct DropUnusedStepOutputs final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    SmallVector<unsigned> kept;
    for (auto [i, output] : llvm::enumerate(op.getOutputs()))
      if (!output.use_empty())
        kept.push_back(i);
    unsigned numOutputs = op.getOutputs().size();
    if (kept.size() == numOutputs)
      return rewriter.notifyMatchFailure(op, "every output is used");

    SmallVector<Type> outputTypes;
    SmallVector<Value> yielded;
    OperandRange yieldedOutputs = op.getYieldedOutputs();
    for (unsigned i : kept) {
      outputTypes.push_back(op.getOutputs()[i].getType());
      yielded.push_back(yieldedOutputs[i]);
    }
    llvm::append_range(yielded, op.getYieldedStates());

    std::optional<int64_t> heads;
    if (IntegerAttr h = op.getHeadsAttr())
      heads = h.getInt();
    auto newOp =
        OpTy::create(rewriter, op.getLoc(), outputTypes, op.getInputs(),
                     op.getParams(), op.getInits(), heads);
    newOp->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.inlineRegionBefore(op.getBody(), newOp.getBody(),
                                newOp.getBody().end());
    Operation *yield = newOp.getBodyBlock().getTerminator();
    rewriter.modifyOpInPlace(yield, [&] { yield->setOperands(yielded); });
    // The read point may have changed with the outputs.
    if constexpr (std::is_same_v<OpTy, ScanOp>)
      if (newOp->hasAttr("transition"))
        newOp->setAttr("transition", classifyScan(newOp));

    SmallVector<Value> replacements(op->getNumResults(), Value());
    for (auto [j, i] : llvm::enumerate(kept))
      replacements[i] = newOp.getOutputs()[j];
    for (auto [i, final] : llvm::enumerate(newOp.getFinals()))
      replacements[numOutputs + i] = final;
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

/// Folds operand casts that erased static sizes (tensor.cast of a more
/// static value) into the op. Only batch (dim 0 of inputs, inits and
/// outputs) and time (dim 1 of inputs and outputs) may be dynamic, so the
/// per-step types of the body do not change; the results take the sizes
/// the operands now give and are cast back to their old types.
template <typename OpTy>
struct FoldStaticSizesIntoStepOp final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    bool changed = false;
    auto fold = [&](OperandRange operands) {
      SmallVector<Value> out;
      for (Value v : operands) {
        auto cast = v.getDefiningOp<tensor::CastOp>();
        if (cast && tensor::canFoldIntoConsumerOp(cast)) {
          out.push_back(cast.getSource());
          changed = true;
        } else {
          out.push_back(v);
        }
      }
      return out;
    };
    SmallVector<Value> inputs = fold(op.getInputs());
    SmallVector<Value> params = fold(op.getParams());
    SmallVector<Value> inits = fold(op.getInits());
    if (!changed)
      return rewriter.notifyMatchFailure(op, "no cast erases static sizes");

    auto dim = [](Value v, unsigned d) {
      return cast<RankedTensorType>(v.getType()).getDimSize(d);
    };
    int64_t batch = ShapedType::kDynamic, time = ShapedType::kDynamic;
    for (Value v : inputs) {
      if (!ShapedType::isDynamic(dim(v, 0)))
        batch = dim(v, 0);
      if (!ShapedType::isDynamic(dim(v, 1)))
        time = dim(v, 1);
    }
    for (Value v : inits)
      if (!ShapedType::isDynamic(dim(v, 0)))
        batch = dim(v, 0);
    SmallVector<Type> outputTypes;
    for (Value output : op.getOutputs()) {
      auto type = cast<RankedTensorType>(output.getType());
      SmallVector<int64_t> shape(type.getShape());
      if (ShapedType::isDynamic(shape[0]))
        shape[0] = batch;
      if (ShapedType::isDynamic(shape[1]))
        shape[1] = time;
      outputTypes.push_back(type.clone(shape));
    }

    std::optional<int64_t> heads;
    if (IntegerAttr h = op.getHeadsAttr())
      heads = h.getInt();
    auto newOp = OpTy::create(rewriter, op.getLoc(), outputTypes, inputs,
                              params, inits, heads);
    newOp->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.inlineRegionBefore(op.getBody(), newOp.getBody(),
                                newOp.getBody().end());
    SmallVector<Value> replacements;
    for (auto [old, now] : llvm::zip(op->getResults(), newOp->getResults()))
      replacements.push_back(
          old.getType() == now.getType()
              ? Value(now)
              : tensor::CastOp::create(rewriter, op.getLoc(), old.getType(),
                                       now)
                    .getResult());
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ScaleOp
//===----------------------------------------------------------------------===//

/// The value of a scalar float constant.
std::optional<APFloat> getScalarConstant(Value v) {
  FloatAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  return attr.getValue();
}

/// Whether fl(fl(x·a)·b) = fl(x·(a·b)) for every x, with a·b exact:
/// * a or b is ±1: the other product is rounded once either way (negation is
///   exact and round-to-nearest is symmetric);
/// * a and b are powers of two with |a|, |b| ≥ 1 and a·b finite: both sides
///   are exact unless they overflow, and then both are ±inf (x·a overflows
///   only if x·a·b does). With |a| or |b| < 1 the intermediate may underflow
///   and round twice in the subnormal range, so no other case is exact.
bool isExactCombination(const APFloat &a, const APFloat &b, APFloat &product) {
  if (!a.isFinite() || !b.isFinite())
    return false;
  product = a;
  if (product.multiply(b, APFloat::rmNearestTiesToEven) != APFloat::opOK)
    return false;
  auto isUnit = [](const APFloat &x) {
    return x.isExactlyValue(1.0) || x.isExactlyValue(-1.0);
  };
  if (isUnit(a) || isUnit(b))
    return true;
  return a.getExactLog2Abs() >= 0 && b.getExactLog2Abs() >= 0;
}

/// scale(scale(x, a), b) → scale(x, a·b) for scalar constants a and b whose
/// combination is exact.
struct FoldScaleOfScale final : OpRewritePattern<ScaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScaleOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ScaleOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "input is not a hymir.scale");
    if (op.getAxis() || inner.getAxis())
      return rewriter.notifyMatchFailure(op, "not two scalar factors");
    std::optional<APFloat> a = getScalarConstant(inner.getFactor());
    std::optional<APFloat> b = getScalarConstant(op.getFactor());
    if (!a || !b)
      return rewriter.notifyMatchFailure(op, "factors are not both constant");
    APFloat product = *a;
    if (!isExactCombination(*a, *b, product))
      return rewriter.notifyMatchFailure(op, "the product is not exact");
    Type type = op.getFactor().getType();
    Value factor = arith::ConstantOp::create(
        rewriter, op.getLoc(), type, rewriter.getFloatAttr(type, product));
    rewriter.replaceOpWithNewOp<ScaleOp>(op, op.getType(), inner.getInput(),
                                         factor, AxisAttr());
    return success();
  }
};

} // namespace

void ScanOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                         MLIRContext *context) {
  patterns.add<DropUnusedStepOutputs<ScanOp>, FoldStaticSizesIntoStepOp<ScanOp>>(
      context);
}

void RecurrenceOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                               MLIRContext *context) {
  patterns.add<DropUnusedStepOutputs<RecurrenceOp>,
               FoldStaticSizesIntoStepOp<RecurrenceOp>>(context);
}

void ScaleOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                          MLIRContext *context) {
  patterns.add<FoldScaleOfScale>(context);
}
