//===- StepOps.cpp - Sequential lowering of hymir.scan / recurrence -------===//
//
// Both step ops run the same way in the fallback: a parallel loop over batch
// and head around a time loop that carries the states. Linearity (what
// distinguishes a scan) only matters to the chunked lowerings.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace hymir;
using namespace hymir::loops;

namespace {

/// The slice of `dest` that one (b, h) owns: `dest[b, 0.., (h,) 0..]` with
/// sizes `[1, keep.., (1,) ...]`, rank-reduced to the dims after the leading
/// ones. `leading` are the (b, [t,] h) positions: an index value fixes a
/// dim to 1 at that index, a null value keeps the whole dim.
static SmallVector<OpFoldResult> sliceOffsets(OpBuilder &b, Value dest,
                                              ArrayRef<Value> leading) {
  int64_t rank = cast<RankedTensorType>(dest.getType()).getRank();
  SmallVector<OpFoldResult> offsets;
  for (int64_t d = 0; d < rank; ++d)
    offsets.push_back(d < static_cast<int64_t>(leading.size()) && leading[d]
                          ? OpFoldResult(leading[d])
                          : OpFoldResult(b.getIndexAttr(0)));
  return offsets;
}

static SmallVector<OpFoldResult> sliceSizes(OpBuilder &b, Location loc,
                                            Value dest,
                                            ArrayRef<Value> leading) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, dest);
  for (auto [d, index] : llvm::enumerate(leading))
    if (index)
      sizes[d] = b.getIndexAttr(1);
  return sizes;
}

/// The rank-reduced type of that slice: `dest`'s type without the fixed dims.
static RankedTensorType sliceType(Value dest, ArrayRef<Value> leading) {
  auto type = cast<RankedTensorType>(dest.getType());
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(type.getShape()))
    if (d >= leading.size() || !leading[d])
      shape.push_back(size);
  return RankedTensorType::get(shape, type.getElementType());
}

static Value extractOwned(OpBuilder &b, Location loc, Value dest,
                          ArrayRef<Value> leading) {
  SmallVector<OpFoldResult> strides(
      cast<RankedTensorType>(dest.getType()).getRank(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(
      b, loc, sliceType(dest, leading), dest, sliceOffsets(b, dest, leading),
      sliceSizes(b, loc, dest, leading), strides);
}

/// Lowers `hymir.scan` and `hymir.recurrence`:
///
///   scf.forall (%b, %h) in (B, H) shared_outs(outputs..., finals...)
///     params[h // (H / Hp)]; out slices = outputs[b, :, h];
///     states = finals[b, h] ← inits[b, h] (tensor states live in the final
///     buffer from the start; scalar states are carried as values)
///     scf.for %t iter_args(out slices..., states...)      (T from tensor.dim)
///       inputs[b, t, h // (H / Hx)]; cloned body
///       out slices[t] = yielded outputs; states = yielded states
///     in_parallel: outputs[b, :, h] = out slices; finals[b, h] = states
///
/// Each (b, h) reads and writes only its own slices, and is computed entirely
/// by one iteration of the forall: the result does not depend on how the
/// iterations are spread over threads (the CPU pipeline runs them in order
/// for threads = 1, else with OpenMP).
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
    SmallVector<OpFoldResult> ubs{batch};
    if (heads)
      ubs.push_back(rewriter.getIndexAttr(*heads));

    auto bodyBuilder = [&](OpBuilder &b, Location loc, ValueRange args) {
      Value bIv = args[0];
      Value hIv = heads ? args[1] : Value();
      ValueRange shared = args.drop_front(heads ? 2 : 1);
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

      // This (b, h)'s slices of the outputs (all steps) and of the finals.
      SmallVector<Value> outputLeading{bIv, Value()}, finalLeading{bIv};
      if (heads) {
        outputLeading.push_back(hIv);
        finalLeading.push_back(hIv);
      }
      SmallVector<Value> timeInits;
      for (Value dest : shared.take_front(numOutputs))
        timeInits.push_back(extractOwned(b, loc, dest, outputLeading));
      for (auto [init, arg, dest] : llvm::zip(
               op.getInits(), op.getStateArgs(), shared.drop_front(numOutputs))) {
        Value state = extractStep(b, loc, init, finalLeading, arg.getType());
        if (isa<RankedTensorType>(state.getType()))
          state = linalg::CopyOp::create(
                      b, loc, state, extractOwned(b, loc, dest, finalLeading))
                      .getResult(0);
        timeInits.push_back(state);
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
            for (auto [value, dest] : llvm::zip(op.getYieldedOutputs(),
                                                carried.take_front(numOutputs)))
              yields.push_back(insertStep(
                  b, loc, stepMapping.lookupOrDefault(value), dest, {t}));
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

      // Hand this (b, h)'s slices back (the sizes are computed before the
      // terminator, whose body holds parallel_insert_slice ops only).
      SmallVector<Value> sources;
      SmallVector<SmallVector<OpFoldResult>> offsets, sizes;
      for (auto [i, pair] :
           llvm::enumerate(llvm::zip(timeLoop.getResults(), shared))) {
        auto [result, dest] = pair;
        ArrayRef<Value> leading = i < numOutputs
                                      ? ArrayRef<Value>(outputLeading)
                                      : ArrayRef<Value>(finalLeading);
        Value source = result;
        if (!isa<RankedTensorType>(source.getType()))
          source = tensor::FromElementsOp::create(
              b, loc, RankedTensorType::get({}, source.getType()), source);
        sources.push_back(source);
        offsets.push_back(sliceOffsets(b, dest, leading));
        sizes.push_back(sliceSizes(b, loc, dest, leading));
      }
      auto inParallel = scf::InParallelOp::create(b, loc);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(inParallel.getBody());
      for (auto [i, dest] : llvm::enumerate(shared)) {
        SmallVector<OpFoldResult> strides(
            cast<RankedTensorType>(dest.getType()).getRank(),
            b.getIndexAttr(1));
        tensor::ParallelInsertSliceOp::create(b, loc, sources[i], dest,
                                              offsets[i], sizes[i], strides);
      }
    };

    auto forall = scf::ForallOp::create(rewriter, loc, ubs, destinations,
                                        /*mapping=*/std::nullopt, bodyBuilder);
    rewriter.replaceOp(op, forall.getResults());
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
