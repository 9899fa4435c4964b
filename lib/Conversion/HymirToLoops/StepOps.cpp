//===- StepOps.cpp - Sequential lowering of hymir.scan / recurrence -------===//
//
// Both step ops run the same way in the fallback: a loop nest over batch,
// head and time with the states carried through the time loop. Linearity
// (what distinguishes a scan) only matters to the chunked lowerings.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace hymir;
using namespace hymir::loops;

namespace {

/// Lowers `hymir.scan` and `hymir.recurrence`:
///
///   scf.for %b iter_args(outputs..., finals...)          (B from tensor.dim)
///     scf.for %h iter_args(outputs..., finals...)        (only with heads)
///       params[h // (H / Hp)], states = inits[b, h]
///       scf.for %t iter_args(outputs..., states...)      (T from tensor.dim)
///         inputs[b, t, h // (H / Hx)]; cloned body
///         outputs[b, t, h] = yielded outputs; states = yielded states
///       finals[b, h] = states
template <typename OpTy> struct LowerStepOp : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    std::optional<int64_t> heads;
    if (auto attr = op.getHeadsAttr())
      heads = attr.getInt();
    Block &body = op.getBodyBlock();
    size_t numOutputs = op.getOutputs().size();

    // Check before creating any IR.
    std::string reason = unsupportedReason(op);
    if (!reason.empty())
      return rewriter.notifyMatchFailure(op, reason);

    Value first = op.getInputs().front();
    Value batch = dimSize(rewriter, loc, first, 0);
    Value time = dimSize(rewriter, loc, first, 1);

    // Destinations of the results: outputs [B, T, (H,) ...], finals [B, ...].
    SmallVector<Value> destinations;
    for (Value output : op.getOutputs())
      destinations.push_back(emptyWithLeading(
          rewriter, loc, cast<RankedTensorType>(output.getType()),
          {batch, time}));
    for (Value final : op.getFinals())
      destinations.push_back(emptyWithLeading(
          rewriter, loc, cast<RankedTensorType>(final.getType()), {batch}));

    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    SmallVector<Value> lbs{zero}, ubs{batch}, steps{one};
    if (heads) {
      lbs.push_back(zero);
      ubs.push_back(indexConst(rewriter, loc, *heads));
      steps.push_back(one);
    }

    auto bodyBuilder = [&](OpBuilder &b, Location loc, ValueRange ivs,
                           ValueRange args) -> scf::ValueVector {
      Value bIv = ivs[0];
      Value hIv = heads ? ivs[1] : Value();
      // Block head mapping: an operand with `count` heads is read at
      // h // (H / count).
      auto headOf = [&](Value operand, unsigned dim) -> Value {
        int64_t count =
            cast<RankedTensorType>(operand.getType()).getDimSize(dim);
        int64_t ratio = *heads / count;
        if (ratio == 1)
          return hIv;
        return arith::DivUIOp::create(b, loc, hIv, indexConst(b, loc, ratio));
      };

      IRMapping mapping;
      for (auto [param, arg] : llvm::zip(op.getParams(), op.getParamArgs())) {
        SmallVector<Value> indices;
        if (heads)
          indices.push_back(headOf(param, 0));
        mapping.map(arg, extractStep(b, loc, param, indices, arg.getType()));
      }

      SmallVector<Value> timeInits(args.take_front(numOutputs));
      for (auto [init, arg] : llvm::zip(op.getInits(), op.getStateArgs())) {
        SmallVector<Value> indices{bIv};
        if (heads)
          indices.push_back(hIv);
        timeInits.push_back(extractStep(b, loc, init, indices, arg.getType()));
      }

      // Head of each input, computed outside the time loop.
      SmallVector<Value> inputHeads;
      if (heads)
        for (Value input : op.getInputs())
          inputHeads.push_back(headOf(input, 2));

      auto timeLoop = scf::ForOp::create(
          b, loc, zero, time, one, timeInits,
          [&](OpBuilder &b, Location loc, Value t, ValueRange carried) {
            IRMapping stepMapping = mapping;
            if (op.hasTimeIndex())
              stepMapping.map(body.getArgument(0), t);
            for (auto [i, input, arg] :
                 llvm::enumerate(op.getInputs(), op.getInputArgs())) {
              SmallVector<Value> indices{bIv, t};
              if (heads)
                indices.push_back(inputHeads[i]);
              stepMapping.map(
                  arg, extractStep(b, loc, input, indices, arg.getType()));
            }
            for (auto [arg, state] :
                 llvm::zip(op.getStateArgs(), carried.drop_front(numOutputs)))
              stepMapping.map(arg, state);

            for (Operation &inner : body.without_terminator())
              b.clone(inner, stepMapping);

            SmallVector<Value> yields;
            SmallVector<Value> outIndices{bIv, t};
            if (heads)
              outIndices.push_back(hIv);
            for (auto [value, dest] : llvm::zip(op.getYieldedOutputs(),
                                                carried.take_front(numOutputs)))
              yields.push_back(insertStep(b, loc,
                                          stepMapping.lookupOrDefault(value),
                                          dest, outIndices));
            for (auto [value, state] : llvm::zip(
                     op.getYieldedStates(), carried.drop_front(numOutputs))) {
              Value next = stepMapping.lookupOrDefault(value);
              // Write a new tensor state into the carried one, so that the
              // yield is equivalent to the iter_arg and the state bufferizes
              // in place (one-shot bufferization copies where it must).
              if (isa<RankedTensorType>(next.getType()) && next != state)
                next = linalg::CopyOp::create(b, loc, next, state).getResult(0);
              yields.push_back(next);
            }
            scf::YieldOp::create(b, loc, yields);
          });

      ResultRange timeResults = timeLoop.getResults();
      scf::ValueVector results(timeResults.begin(),
                               timeResults.begin() + numOutputs);
      SmallVector<Value> stateIndices{bIv};
      if (heads)
        stateIndices.push_back(hIv);
      for (auto [state, dest] : llvm::zip(timeResults.drop_front(numOutputs),
                                          args.drop_front(numOutputs)))
        results.push_back(insertStep(b, loc, state, dest, stateIndices));
      return results;
    };

    scf::LoopNest nest = scf::buildLoopNest(rewriter, loc, lbs, ubs, steps,
                                            destinations, bodyBuilder);
    rewriter.replaceOp(op, nest.results);
    return success();
  }
};

} // namespace

/// Inputs, params and states have static per-step dims (verifier, C1); the
/// outputs' per-step dims are only tied to the yield, so check them here.
template <typename OpTy> static std::string unsupportedStepReason(OpTy op) {
  size_t numOutputs = op.getOutputs().size();
  for (OpResult result : op->getResults()) {
    unsigned leading = result.getResultNumber() < numOutputs ? 2 : 1;
    auto type = cast<RankedTensorType>(result.getType());
    if (llvm::any_of(type.getShape().drop_front(leading),
                     ShapedType::isDynamic))
      return "result #" + std::to_string(result.getResultNumber()) +
             " has a dynamic per-step dim; only batch and time may be dynamic";
  }
  return {};
}

std::string hymir::loops::unsupportedReason(Operation *op) {
  if (auto scan = dyn_cast<ScanOp>(op))
    return unsupportedStepReason(scan);
  if (auto recurrence = dyn_cast<RecurrenceOp>(op))
    return unsupportedStepReason(recurrence);
  return {};
}

void hymir::loops::populateStepOpPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerStepOp<ScanOp>, LowerStepOp<RecurrenceOp>>(
      patterns.getContext());
}
