//===- StepOps.cpp - Sequential lowering of hymir.scan / recurrence -------===//
//
// Both step ops run the same way in the fallback: a parallel loop over batch
// and head around a time loop that carries the states. Linearity (what
// distinguishes a scan) only matters to the chunked lowerings.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "hymir/Dialect/Hymir/IR/ColumnAnalysis.h"
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

/// A value tile's columns of a per-step value: `size` columns from `offset`
/// along its dim `dim` (none when `offset` is null).
struct Columns {
  Value offset;
  int64_t dim = 0;
  int64_t size = 0;
};

/// The slice of `dest` that one (b, h) owns: `dest[b, 0.., (h,) 0..]` with
/// sizes `[1, keep.., (1,) ...]`, rank-reduced to the dims after the leading
/// ones. `leading` are the (b, [t,] h) positions: an index value fixes a
/// dim to 1 at that index, a null value keeps the whole dim. With `columns`,
/// the per-step dims are narrowed to the (b, h, tile) iteration's columns.
static SmallVector<OpFoldResult> sliceOffsets(OpBuilder &b, Value dest,
                                              ArrayRef<Value> leading,
                                              Columns columns = {}) {
  int64_t rank = cast<RankedTensorType>(dest.getType()).getRank();
  SmallVector<OpFoldResult> offsets;
  for (int64_t d = 0; d < rank; ++d)
    offsets.push_back(d < static_cast<int64_t>(leading.size()) && leading[d]
                          ? OpFoldResult(leading[d])
                          : OpFoldResult(b.getIndexAttr(0)));
  if (columns.offset)
    offsets[leading.size() + columns.dim] = columns.offset;
  return offsets;
}

static SmallVector<OpFoldResult> sliceSizes(OpBuilder &b, Location loc,
                                            Value dest,
                                            ArrayRef<Value> leading,
                                            Columns columns = {}) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, dest);
  for (auto [d, index] : llvm::enumerate(leading))
    if (index)
      sizes[d] = b.getIndexAttr(1);
  if (columns.offset)
    sizes[leading.size() + columns.dim] = b.getIndexAttr(columns.size);
  return sizes;
}

/// The rank-reduced type of that slice: `dest`'s type without the fixed dims.
static RankedTensorType sliceType(Value dest, ArrayRef<Value> leading,
                                  Columns columns = {}) {
  auto type = cast<RankedTensorType>(dest.getType());
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(type.getShape())) {
    if (d < leading.size() && leading[d])
      continue;
    shape.push_back(columns.offset && d == leading.size() + columns.dim
                        ? columns.size
                        : size);
  }
  return RankedTensorType::get(shape, type.getElementType());
}

static Value extractOwned(OpBuilder &b, Location loc, Value dest,
                          ArrayRef<Value> leading, Columns columns = {}) {
  SmallVector<OpFoldResult> strides(
      cast<RankedTensorType>(dest.getType()).getRank(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(
      b, loc, sliceType(dest, leading, columns), dest,
      sliceOffsets(b, dest, leading, columns),
      sliceSizes(b, loc, dest, leading, columns), strides);
}

/// `dest` with `tile` written at the columns from `offset` along the dim
/// `dim` of a step (after the leading index `at`, when given).
static Value insertColumns(OpBuilder &b, Location loc, Value tile, Value dest,
                           Value at, unsigned dim, Value offset) {
  auto destType = cast<RankedTensorType>(dest.getType());
  unsigned lead = at ? 1 : 0;
  SmallVector<OpFoldResult> offsets(destType.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, dest);
  SmallVector<OpFoldResult> strides(destType.getRank(), b.getIndexAttr(1));
  if (at) {
    offsets[0] = at;
    sizes[0] = b.getIndexAttr(1);
  }
  offsets[lead + dim] = offset;
  sizes[lead + dim] =
      b.getIndexAttr(cast<RankedTensorType>(tile.getType()).getDimSize(dim));
  // Copied into the slice first: the insert then bufferizes in place, and
  // the copy is a loop (memref.copy of a strided slice is a slow runtime
  // call).
  Value slot = tensor::ExtractSliceOp::create(
      b, loc, cast<RankedTensorType>(tile.getType()), dest, offsets, sizes,
      strides);
  tile = linalg::CopyOp::create(b, loc, tile, slot).getResult(0);
  return tensor::InsertSliceOp::create(b, loc, tile, dest, offsets, sizes,
                                       strides);
}

/// `v` narrowed to `size` columns from `offset` along its dim `dim`.
static Value sliceColumns(OpBuilder &b, Location loc, Value v, unsigned dim,
                          Value offset, int64_t size) {
  return extractOwned(b, loc, v, {}, Columns{offset, dim, size});
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
  LowerStepOp(MLIRContext *context, int64_t valueTile, bool parallelTiles)
      : OpRewritePattern<OpTy>(context), valueTile(valueTile),
        parallelTiles(parallelTiles) {}

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

    // Value tiles (ColumnAnalysis.h): a column-separable body with a matrix
    // state runs as (b, h, tile) iterations that each own `width` value
    // columns of the state, which stay in cache for all of a step's uses
    // (decay, Sᵀk, update, Sᵀq) and all steps, instead of streaming the
    // whole state from memory once per use.
    ColumnPlan columns;
    int64_t tiles = 1;
    bool matrixState = llvm::any_of(op.getStateArgs(), [](BlockArgument arg) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      return type && type.getRank() >= 2;
    });
    if (valueTile > 0 && matrixState &&
        analyzeValueColumns(op, columns).empty())
      tiles = valueTileCount(columns.valueDim, valueTile);
    int64_t width = columns.valueDim / tiles;

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
    // Tiles either as iterations of the forall (a GPU block each) or as a
    // loop inside each step (the CPU: the step's ops that do not depend on
    // the state run once, not once per tile).
    bool forallTiles = tiles > 1 && parallelTiles;
    bool stepTiles = tiles > 1 && !parallelTiles;
    auto firstType = cast<RankedTensorType>(op.getInputs().front().getType());
    bool singleStepTiles = stepTiles && firstType.getDimSize(1) == 1;
    if (forallTiles)
      ubs.push_back(rewriter.getIndexAttr(tiles));
    Block::BlockArgListType stateArgs = op.getStateArgs();
    Operation *yield = body.getTerminator();

    auto bodyBuilder = [&](OpBuilder &b, Location loc, ValueRange args) {
      Value bIv = args[0];
      Value hIv = heads ? args[1] : Value();
      size_t numIvs = ubs.size();
      ValueRange shared = args.drop_front(numIvs);
      // The first of this iteration's value columns, and the columns of a
      // body value (none without tiles).
      Value column;
      if (forallTiles)
        column = arith::MulIOp::create(b, loc, args[numIvs - 1],
                                       indexConst(b, loc, width));
      auto columnsOf = [&](Value v) -> Columns {
        if (!column)
          return {};
        return Columns{column, columns.columnDim.lookup(v), width};
      };
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
      for (auto [value, dest] :
           llvm::zip(op.getYieldedOutputs(), shared.take_front(numOutputs)))
        timeInits.push_back(
            extractOwned(b, loc, dest, outputLeading, columnsOf(value)));
      // A single step in tiles reads each state tile straight from the
      // initial state: no copy of the whole state into the result first.
      SmallVector<Value> initialStates;
      for (auto [init, arg, dest] : llvm::zip(
               op.getInits(), stateArgs, shared.drop_front(numOutputs))) {
        Value state =
            column ? extractOwned(b, loc, init, finalLeading, columnsOf(arg))
                   : extractStep(b, loc, init, finalLeading, arg.getType());
        initialStates.push_back(state);
        if (singleStepTiles) {
          timeInits.push_back(extractOwned(b, loc, dest, finalLeading));
          continue;
        }
        if (isa<RankedTensorType>(state.getType()))
          state = linalg::CopyOp::create(
                      b, loc, state,
                      extractOwned(b, loc, dest, finalLeading, columnsOf(arg)))
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

            // A column op on the tile at `col`: free operands it reads along
            // the columns are sliced, its result narrowed to `width` columns.
            auto isColumnOp = [&](Operation &inner) {
              return tiles > 1 && inner.getNumResults() == 1 &&
                     columns.columnDim.count(inner.getResult(0));
            };
            auto cloneOnTile = [&](OpBuilder &b, Operation &inner,
                                   IRMapping &m, Value col) {
              SmallVector<std::pair<unsigned, Value>> sliced;
              for (OpOperand &operand : inner.getOpOperands())
                if (auto it = columns.slicedOperands.find(&operand);
                    it != columns.slicedOperands.end())
                  sliced.push_back(
                      {operand.getOperandNumber(),
                       sliceColumns(b, loc, m.lookupOrDefault(operand.get()),
                                    it->second, col, width)});
              Operation *clone = b.clone(inner, m);
              for (auto [i, value] : sliced)
                clone->setOperand(i, value);
              auto type = cast<RankedTensorType>(clone->getResult(0).getType());
              SmallVector<int64_t> shape(type.getShape());
              shape[columns.columnDim.lookup(inner.getResult(0))] = width;
              clone->getResult(0).setType(type.clone(shape));
            };

            if (stepTiles) {
              // The ops that do not depend on the state once per step, then
              // the others a value tile at a time: each [K, width] tile of
              // the state stays in L1 for all of the step's uses of it.
              for (Operation &inner : body.without_terminator())
                if (!isColumnOp(inner))
                  b.clone(inner, stepMapping);
              auto tileLoop = scf::ForOp::create(
                  b, loc, zero, indexConst(b, loc, tiles), one, carried,
                  [&](OpBuilder &b, Location loc, Value tile,
                      ValueRange parts) {
                    Value col = arith::MulIOp::create(
                        b, loc, tile, indexConst(b, loc, width));
                    IRMapping tileMapping = stepMapping;
                    for (auto [i, arg, state] : llvm::enumerate(
                             stateArgs, parts.drop_front(numOutputs)))
                      tileMapping.map(
                          arg, sliceColumns(
                                   b, loc,
                                   singleStepTiles ? initialStates[i] : state,
                                   columns.columnDim.lookup(arg), col, width));
                    for (Operation &inner : body.without_terminator())
                      if (isColumnOp(inner))
                        cloneOnTile(b, inner, tileMapping, col);
                    SmallVector<Value> yields;
                    for (auto [i, dest] : llvm::enumerate(parts)) {
                      OpOperand &operand = yield->getOpOperand(i);
                      Value value = tileMapping.lookupOrDefault(operand.get());
                      unsigned dim = i < numOutputs
                                         ? columns.columnDim.lookup(operand.get())
                                         : columns.columnDim.lookup(
                                               stateArgs[i - numOutputs]);
                      if (columns.slicedOperands.count(&operand))
                        value = sliceColumns(b, loc, value, dim, col, width);
                      yields.push_back(insertColumns(
                          b, loc, value, dest, i < numOutputs ? t : Value(),
                          dim, col));
                    }
                    scf::YieldOp::create(b, loc, yields);
                  });
              scf::YieldOp::create(b, loc, tileLoop.getResults());
              return;
            }

            for (Operation &inner : body.without_terminator()) {
              if (column && isColumnOp(inner))
                cloneOnTile(b, inner, stepMapping, column);
              else
                b.clone(inner, stepMapping);
            }

            SmallVector<Value> yields;
            for (auto [value, dest] : llvm::zip(op.getYieldedOutputs(),
                                                carried.take_front(numOutputs)))
              yields.push_back(insertStep(
                  b, loc, stepMapping.lookupOrDefault(value), dest, {t}));
            for (auto [i, state] :
                 llvm::enumerate(carried.drop_front(numOutputs))) {
              OpOperand &operand = yield->getOpOperand(numOutputs + i);
              Value next = stepMapping.lookupOrDefault(operand.get());
              if (auto it = columns.slicedOperands.find(&operand);
                  column && it != columns.slicedOperands.end())
                next = sliceColumns(b, loc, next, it->second, column, width);
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
        Columns cols = columnsOf(yield->getOperand(i));
        if (i >= numOutputs && column)
          cols = columnsOf(stateArgs[i - numOutputs]);
        Value source = result;
        if (!isa<RankedTensorType>(source.getType()))
          source = tensor::FromElementsOp::create(
              b, loc, RankedTensorType::get({}, source.getType()), source);
        sources.push_back(source);
        offsets.push_back(sliceOffsets(b, dest, leading, cols));
        sizes.push_back(sliceSizes(b, loc, dest, leading, cols));
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
    // For hymir-vectorize-value-tiles: its rows are `width` floats.
    if (tiles > 1)
      forall->setAttr("hymir.value_tiles", rewriter.getUnitAttr());
    rewriter.replaceOp(op, forall.getResults());
    return success();
  }

  int64_t valueTile;
  bool parallelTiles;
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

void hymir::loops::populateStepOpPatterns(RewritePatternSet &patterns,
                                          int64_t valueTile,
                                          bool parallelTiles) {
  patterns.add<LowerStepOp<ScanOp>, LowerStepOp<RecurrenceOp>>(
      patterns.getContext(), valueTile, parallelTiles);
}
