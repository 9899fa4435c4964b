//===- VectorizeValueTiles.cpp - hymir-vectorize-value-tiles --------------===//
//
// Vector rows for the state ops of value-tiled step loops (see the pass
// description in Passes.td). A [K, vt] state tile has rows of vt contiguous
// floats; left to LLVM, the short row loop is fully unrolled and the loop
// over K vectorized with gathers and scatters, slower than no tiles at all.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#define DEBUG_TYPE "hymir-vectorize-value-tiles"

namespace hymir {
#define GEN_PASS_DEF_VECTORIZEVALUETILESPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

bool isF32OrF32Tensor(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getElementType().isF32();
  return type.isF32();
}

/// One or two static loops, the last parallel with a multiple of `width`
/// iterations and, where an operand reads it, its contiguous (last) dim; an
/// element-wise scalar payload.
bool vectorizable(linalg::GenericOp op, int64_t width) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1)
    return false;
  unsigned n = op.getNumLoops();
  if (n < 1 || n > 2)
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic) ||
      ranges.back() % width != 0)
    return false;
  if (op.getIteratorTypesArray().back() != utils::IteratorType::parallel)
    return false;
  unsigned j = n - 1;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isF32OrF32Tensor(operand.get().getType()))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation())
      return false;
    if (map.isFunctionOfDim(j) &&
        map.getResults().back() != getAffineDimExpr(j, op.getContext()))
      return false;
  }
  if (!op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isFunctionOfDim(j))
    return false;
  for (Operation &inner : op.getRegion().front().without_terminator()) {
    // arith only: math ops on vectors would reach libm one lane at a time.
    if (!isa<arith::ArithDialect>(inner.getDialect()) ||
        !inner.hasTrait<OpTrait::Elementwise>() || inner.getNumRegions() ||
        inner.getNumResults() != 1)
      return false;
    auto scalar = [](Type t) { return t.isF32() || t.isInteger(1); };
    if (!scalar(inner.getResult(0).getType()) ||
        !llvm::all_of(inner.getOperandTypes(), scalar))
      return false;
  }
  return true;
}

void rewrite(RewriterBase &rewriter, linalg::GenericOp op, int64_t width) {
  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned n = ranges.size(), j = n - 1;
  bool reduce = n == 2 && op.getIteratorTypesArray()[0] ==
                              utils::IteratorType::reduction;
  auto vecType = VectorType::get({width}, rewriter.getF32Type());
  auto cst = [&](OpBuilder &b, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value zero = cst(rewriter, 0), one = cst(rewriter, 1);
  Value pad = arith::ConstantOp::create(rewriter, loc,
                                        rewriter.getF32FloatAttr(0.0));
  Value zeros = arith::ConstantOp::create(
      rewriter, loc, DenseElementsAttr::get(vecType, rewriter.getF32FloatAttr(0.0)));
  OpOperand *out = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(out);
  bool usesOut = op.payloadUsesValueFromOperand(out);

  auto indices = [&](AffineMap map, Value i, Value j0) {
    SmallVector<Value> at;
    for (AffineExpr e : map.getResults())
      at.push_back(cast<AffineDimExpr>(e).getPosition() == j ? j0 : i);
    return at;
  };
  // A row of `source` at (i, j0..) as a vector, or its element broadcast
  // when the map does not read the last loop.
  auto readAt = [&](OpBuilder &b, Value source, AffineMap map, Value i,
                    Value j0) -> Value {
    if (!isa<RankedTensorType>(source.getType()))
      return vector::BroadcastOp::create(b, loc, vecType, source);
    SmallVector<Value> at = indices(map, i, j0);
    if (map.isFunctionOfDim(j))
      return vector::TransferReadOp::create(b, loc, vecType, source, at, pad,
                                            ArrayRef<bool>{true});
    Value element = tensor::ExtractOp::create(b, loc, source, at);
    return vector::BroadcastOp::create(b, loc, vecType, element);
  };
  auto writeAt = [&](OpBuilder &b, Value row, Value dest, Value i,
                     Value j0) -> Value {
    return vector::TransferWriteOp::create(b, loc, row, dest,
                                           indices(outMap, i, j0),
                                           ArrayRef<bool>{true})
        .getResult();
  };
  auto inputsAt = [&](OpBuilder &b, Value i, Value j0) {
    SmallVector<Value> args;
    for (OpOperand *input : op.getDpsInputOperands())
      args.push_back(readAt(b, input->get(), op.getMatchingIndexingMap(input),
                            i, j0));
    return args;
  };
  // The payload on vectors: scalars from outside are broadcast.
  auto payload = [&](OpBuilder &b, ValueRange args) -> Value {
    Block &block = op.getRegion().front();
    IRMapping mapping;
    for (auto [arg, value] : llvm::zip(block.getArguments(), args))
      mapping.map(arg, value);
    auto vectorOf = [&](Value v) -> Value {
      Value mapped = mapping.lookupOrDefault(v);
      if (isa<VectorType>(mapped.getType()))
        return mapped;
      Value splat = vector::BroadcastOp::create(
          b, loc, VectorType::get({width}, mapped.getType()), mapped);
      mapping.map(v, splat);
      return splat;
    };
    for (Operation &inner : block.without_terminator()) {
      for (Value operand : inner.getOperands())
        vectorOf(operand);
      Operation *clone = b.clone(inner, mapping);
      clone->getResult(0).setType(
          VectorType::get({width}, inner.getResult(0).getType()));
    }
    return vectorOf(block.getTerminator()->getOperand(0));
  };

  auto cols = scf::ForOp::create(
      rewriter, loc, zero, cst(rewriter, ranges.back()), cst(rewriter, width),
      ValueRange{out->get()},
      [&](OpBuilder &b, Location loc, Value j0, ValueRange carried) {
        Value result;
        if (n == 1) {
          SmallVector<Value> args = inputsAt(b, Value(), j0);
          args.push_back(usesOut ? readAt(b, carried[0], outMap, Value(), j0)
                                 : zeros);
          result = writeAt(b, payload(b, args), carried[0], Value(), j0);
        } else if (!reduce) {
          auto rows = scf::ForOp::create(
              b, loc, zero, cst(b, ranges[0]), one, carried,
              [&](OpBuilder &b, Location loc, Value i, ValueRange dest) {
                SmallVector<Value> args = inputsAt(b, i, j0);
                args.push_back(usesOut ? readAt(b, dest[0], outMap, i, j0)
                                       : zeros);
                scf::YieldOp::create(
                    b, loc, writeAt(b, payload(b, args), dest[0], i, j0));
              });
          result = rows.getResult(0);
        } else {
          // The accumulator row stays in a register over the reduction.
          Value acc = readAt(b, carried[0], outMap, Value(), j0);
          auto rows = scf::ForOp::create(
              b, loc, zero, cst(b, ranges[0]), one, ValueRange{acc},
              [&](OpBuilder &b, Location loc, Value i, ValueRange partial) {
                SmallVector<Value> args = inputsAt(b, i, j0);
                args.push_back(partial[0]);
                scf::YieldOp::create(b, loc, payload(b, args));
              });
          result = writeAt(b, rows.getResult(0), carried[0], Value(), j0);
        }
        scf::YieldOp::create(b, loc, result);
      });
  rewriter.replaceOp(op, cols.getResults());
}

struct VectorizeValueTilesPass
    : public hymir::impl::VectorizeValueTilesPassBase<VectorizeValueTilesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (width <= 0) {
      getOperation()->emitError("hymir-vectorize-value-tiles: width must be "
                                "> 0");
      return signalPassFailure();
    }
    SmallVector<Operation *> candidates;
    getOperation()->walk([&](scf::ForallOp forall) {
      if (!forall->hasAttr("hymir.value_tiles"))
        return;
      forall->walk([&](Operation *op) {
        if (isa<linalg::GenericOp, linalg::CopyOp>(op))
          candidates.push_back(op);
      });
    });
    IRRewriter rewriter(&getContext());
    for (Operation *candidate : candidates) {
      linalg::GenericOp generic;
      if (auto copy = dyn_cast<linalg::CopyOp>(candidate)) {
        if (!copy.hasPureTensorSemantics())
          continue;
        rewriter.setInsertionPoint(copy);
        FailureOr<linalg::GenericOp> general =
            linalg::generalizeNamedOp(rewriter, copy);
        if (failed(general))
          continue;
        generic = *general;
      } else {
        generic = cast<linalg::GenericOp>(candidate);
      }
      if (!vectorizable(generic, width))
        continue;
      rewrite(rewriter, generic, width);
      ++numVectorized;
    }
  }
};

} // namespace
