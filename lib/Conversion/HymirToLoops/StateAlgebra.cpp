//===- StateAlgebra.cpp - Per-step hymir ops to linalg.generic ------------===//
//
// The state algebra (scale, outer, read, dot, sum, mix, rotary) and the norms
// become linalg.generic ops on tensors. They are written for any rank and
// dynamic dims, since the norms and rotary also apply to whole sequences.
// Reductions accumulate in accumulatorType() and are converted back at the
// end.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace hymir;
using namespace hymir::loops;

using utils::IteratorType;
using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// A linalg.generic with one init; `body` maps the block arguments (inputs,
/// then the init element) to the yielded element.
static Value buildGeneric(OpBuilder &b, Location loc, Value init,
                          ValueRange inputs, ArrayRef<AffineMap> maps,
                          ArrayRef<IteratorType> iterators, BodyFn body) {
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &b, Location loc, ValueRange args) {
        linalg::YieldOp::create(b, loc, body(b, loc, args));
      });
  return generic.getResult(0);
}

/// A zero-filled tensor of `type` (dynamic dims from `sizes`, one per dim).
static Value zeros(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<Value> sizes) {
  Value empty = emptyWithLeading(b, loc, type, sizes);
  Value zero = floatConst(b, loc, type.getElementType(), 0.0);
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

/// Converts an accumulator tensor to the element type `elem` (no-op when
/// they agree).
static Value finishAccumulation(OpBuilder &b, Location loc, Value accTensor,
                                Type elem) {
  auto type = cast<RankedTensorType>(accTensor.getType());
  if (type.getElementType() == elem)
    return accTensor;
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<IteratorType> iters(type.getRank(), IteratorType::parallel);
  return buildGeneric(b, loc, emptyLike(b, loc, accTensor, elem), accTensor,
                      {id, id}, iters,
                      [&](OpBuilder &b, Location loc, ValueRange args) {
                        return convertFloat(b, loc, args[0], elem);
                      });
}

/// Sizes of every dim of `v`.
static SmallVector<Value> allSizes(OpBuilder &b, Location loc, Value v) {
  SmallVector<Value> sizes;
  for (int64_t d = 0, e = cast<RankedTensorType>(v.getType()).getRank(); d < e;
       ++d)
    sizes.push_back(dimSize(b, loc, v, d));
  return sizes;
}

namespace {

//===----------------------------------------------------------------------===//
// State algebra
//===----------------------------------------------------------------------===//

/// y = f · x (scalar), or y[i, j] = f[i] · x[i, j] (rows) / f[j] · x[i, j]
/// (cols).
struct LowerScale : OpRewritePattern<ScaleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScaleOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput(), factor = op.getFactor();
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<IteratorType> iters(rank, IteratorType::parallel);
    Value init = emptyLike(rewriter, loc, x);
    Value result;
    if (!isa<RankedTensorType>(factor.getType())) {
      result =
          buildGeneric(rewriter, loc, init, x, {id, id}, iters,
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return arith::MulFOp::create(b, loc, args[0], factor);
                       });
    } else {
      unsigned dim = op.getAxis() == Axis::cols ? 1 : 0;
      AffineMap factorMap =
          AffineMap::get(2, 0, rewriter.getAffineDimExpr(dim), getContext());
      result = buildGeneric(
          rewriter, loc, init, ValueRange{x, factor}, {id, factorMap, id},
          iters, [&](OpBuilder &b, Location loc, ValueRange args) {
            return arith::MulFOp::create(b, loc, args[0], args[1]);
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// y[i, j] = a[i] · b[j], or y[i, j] = Σ_r a[r, i] · b[r, j].
struct LowerOuter : OpRewritePattern<OuterOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OuterOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value a = op.getLhs(), bv = op.getRhs();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elem = resultType.getElementType();
    int64_t rank = cast<RankedTensorType>(a.getType()).getRank();
    MLIRContext *ctx = getContext();
    AffineExpr d0 = rewriter.getAffineDimExpr(0),
               d1 = rewriter.getAffineDimExpr(1);
    SmallVector<Value> sizes{dimSize(rewriter, loc, a, rank - 1),
                             dimSize(rewriter, loc, bv, rank - 1)};
    Value result;
    if (rank == 1) {
      Value init = emptyWithLeading(rewriter, loc, resultType, sizes);
      result = buildGeneric(
          rewriter, loc, init, ValueRange{a, bv},
          {AffineMap::get(2, 0, d0, ctx), AffineMap::get(2, 0, d1, ctx),
           rewriter.getMultiDimIdentityMap(2)},
          {IteratorType::parallel, IteratorType::parallel},
          [&](OpBuilder &b, Location loc, ValueRange args) {
            return arith::MulFOp::create(b, loc, args[0], args[1]);
          });
    } else {
      // r outermost, so the innermost loop runs along a row of the result
      // (contiguous, no reduction: LLVM vectorizes it without reordering the
      // sum, which still runs over r in order).
      FloatType acc = accumulatorType(elem);
      AffineExpr r = rewriter.getAffineDimExpr(0),
                 i = rewriter.getAffineDimExpr(1),
                 j = rewriter.getAffineDimExpr(2);
      Value init =
          zeros(rewriter, loc,
                RankedTensorType::get(resultType.getShape(), acc), sizes);
      Value sum = buildGeneric(
          rewriter, loc, init, ValueRange{a, bv},
          {AffineMap::get(3, 0, {r, i}, ctx), AffineMap::get(3, 0, {r, j}, ctx),
           AffineMap::get(3, 0, {i, j}, ctx)},
          {IteratorType::reduction, IteratorType::parallel,
           IteratorType::parallel},
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value prod =
                arith::MulFOp::create(b, loc, args[0], args[1], kContract);
            return arith::AddFOp::create(
                b, loc, args[2], convertFloat(b, loc, prod, acc), kContract);
          });
      result = finishAccumulation(rewriter, loc, sum, elem);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// rows: y[j] = Σ_i S[i, j] x[i] (Sᵀx); cols: y[i] = Σ_j S[i, j] x[j] (S x).
struct LowerRead : OpRewritePattern<ReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReadOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value s = op.getState(), x = op.getVector();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elem = resultType.getElementType();
    FloatType acc = accumulatorType(elem);
    MLIRContext *ctx = getContext();
    bool rows = op.getAxis() == Axis::rows;
    Value init =
        zeros(rewriter, loc, RankedTensorType::get(resultType.getShape(), acc),
              {dimSize(rewriter, loc, s, rows ? 1 : 0)});
    // rows (Sᵀx): d0 = i (contracted, outer), d1 = j (result, inner), so the
    // inner loop runs along a row of S and of y: contiguous and free of
    // reductions, vectorized without reordering the sum over i. cols (S x):
    // d0 = i (result), d1 = j (contracted, inner, contiguous): a reduction,
    // vectorized with reassociation.
    AffineExpr d0 = rewriter.getAffineDimExpr(0),
               d1 = rewriter.getAffineDimExpr(1);
    AffineMap id = AffineMap::get(2, 0, {d0, d1}, ctx);
    SmallVector<AffineMap> maps =
        rows ? SmallVector<AffineMap>{id, AffineMap::get(2, 0, d0, ctx),
                                      AffineMap::get(2, 0, d1, ctx)}
             : SmallVector<AffineMap>{id, AffineMap::get(2, 0, d1, ctx),
                                      AffineMap::get(2, 0, d0, ctx)};
    SmallVector<IteratorType> iters =
        rows ? SmallVector<IteratorType>{IteratorType::reduction,
                                         IteratorType::parallel}
             : SmallVector<IteratorType>{IteratorType::parallel,
                                         IteratorType::reduction};
    arith::FastMathFlags flags = rows ? kContract : kReduce;
    Value sum = buildGeneric(
        rewriter, loc, init, ValueRange{s, x}, maps, iters,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value prod = arith::MulFOp::create(b, loc, args[0], args[1], flags);
          return arith::AddFOp::create(b, loc, args[2],
                                       convertFloat(b, loc, prod, acc), flags);
        });
    rewriter.replaceOp(op, finishAccumulation(rewriter, loc, sum, elem));
    return success();
  }
};

/// Full reduction Σ term(x...) of same-shaped tensors into a scalar.
template <typename OpTy> struct LowerFullReduction : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<Value> inputs(op->getOperands());
    auto type = cast<RankedTensorType>(inputs.front().getType());
    Type elem = op.getResult().getType();
    FloatType acc = accumulatorType(elem);
    int64_t rank = type.getRank();
    SmallVector<AffineMap> maps(inputs.size(),
                                rewriter.getMultiDimIdentityMap(rank));
    maps.push_back(AffineMap::get(rank, 0, {}, this->getContext()));
    SmallVector<IteratorType> iters(rank, IteratorType::reduction);
    Value init = zeros(rewriter, loc, RankedTensorType::get({}, acc), {});
    Value sum = buildGeneric(
        rewriter, loc, init, inputs, maps, iters,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value term = args[0];
          if (inputs.size() == 2)
            term = arith::MulFOp::create(b, loc, args[0], args[1], kReduce);
          return arith::AddFOp::create(
              b, loc, args.back(), convertFloat(b, loc, term, acc), kReduce);
        });
    Value scalar = tensor::ExtractOp::create(rewriter, loc, sum, ValueRange{});
    rewriter.replaceOp(op, convertFloat(rewriter, loc, scalar, elem));
    return success();
  }
};

/// y[a, ...] = Σ_l M[a, l] · x[l, ...].
struct LowerMix : OpRewritePattern<MixOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MixOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value m = op.getMatrix(), x = op.getInput();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elem = resultType.getElementType();
    FloatType acc = accumulatorType(elem);
    int64_t rank = resultType.getRank();
    MLIRContext *ctx = getContext();
    // Dims: d0 = a, d1 = l, d2 .. d(rank) = the trailing dims, so that the
    // innermost loop runs along the trailing dims (contiguous, no reduction)
    // when there are any; else it is the reduction over l.
    unsigned numDims = rank + 1;
    AffineExpr l = rewriter.getAffineDimExpr(1);
    SmallVector<AffineExpr> xExprs{l}, outExprs{rewriter.getAffineDimExpr(0)};
    for (int64_t d = 1; d < rank; ++d) {
      outExprs.push_back(rewriter.getAffineDimExpr(d + 1));
      xExprs.push_back(rewriter.getAffineDimExpr(d + 1));
    }
    SmallVector<Value> sizes = allSizes(rewriter, loc, x);
    sizes[0] = dimSize(rewriter, loc, m, 0);
    SmallVector<IteratorType> iters{IteratorType::parallel,
                                    IteratorType::reduction};
    iters.append(rank - 1, IteratorType::parallel);
    arith::FastMathFlags flags = rank == 1 ? kReduce : kContract;
    Value init =
        zeros(rewriter, loc, RankedTensorType::get(resultType.getShape(), acc),
              sizes);
    Value sum = buildGeneric(
        rewriter, loc, init, ValueRange{m, x},
        {AffineMap::get(numDims, 0, {rewriter.getAffineDimExpr(0), l}, ctx),
         AffineMap::get(numDims, 0, xExprs, ctx),
         AffineMap::get(numDims, 0, outExprs, ctx)},
        iters, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value prod = arith::MulFOp::create(b, loc, args[0], args[1], flags);
          return arith::AddFOp::create(b, loc, args[2],
                                       convertFloat(b, loc, prod, acc), flags);
        });
    rewriter.replaceOp(op, finishAccumulation(rewriter, loc, sum, elem));
    return success();
  }
};

/// Rotates R pairs of the last dim. Element n is in pair i = n / 2 with
/// partner n ^ 1 (interleaved), or in pair i = n mod R with partner n ± R
/// (rotate-half); elements n ≥ 2R pass through. Written as a gather over the
/// output with linalg.index, partner and angle indices clamped so that
/// pass-through elements never load out of bounds.
struct LowerRotary : OpRewritePattern<RotaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RotaryOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput(), angles = op.getAngles();
    auto anglesType = cast<RankedTensorType>(angles.getType());
    int64_t rank = anglesType.getRank();
    bool interleaved = op.getInterleaved();
    // R = 0 rotates nothing.
    if (anglesType.getDimSize(rank - 1) == 0) {
      rewriter.replaceOp(op, x);
      return success();
    }
    Value pairs = dimSize(rewriter, loc, angles, rank - 1);
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<IteratorType> iters(rank, IteratorType::parallel);
    Value result = buildGeneric(
        rewriter, loc, emptyLike(rewriter, loc, x), x, {id, id}, iters,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          SmallVector<Value> idx;
          for (int64_t d = 0; d < rank; ++d)
            idx.push_back(linalg::IndexOp::create(b, loc, d));
          Value n = idx.back();
          Value zero = indexConst(b, loc, 0);
          Value one = indexConst(b, loc, 1);
          Value twoR = arith::AddIOp::create(b, loc, pairs, pairs);
          Value rotated =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, n, twoR);
          Value isFirst, pair, partner;
          if (interleaved) {
            Value two = indexConst(b, loc, 2);
            isFirst = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::eq,
                arith::RemUIOp::create(b, loc, n, two), zero);
            pair = arith::DivUIOp::create(b, loc, n, two);
            partner = arith::XOrIOp::create(b, loc, n, one);
          } else {
            isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            n, pairs);
            pair = arith::SelectOp::create(
                b, loc, isFirst, n, arith::SubIOp::create(b, loc, n, pairs));
            partner = arith::SelectOp::create(
                b, loc, isFirst, arith::AddIOp::create(b, loc, n, pairs),
                arith::SubIOp::create(b, loc, n, pairs));
          }
          partner = arith::SelectOp::create(b, loc, rotated, partner, n);
          pair = arith::SelectOp::create(b, loc, rotated, pair, zero);

          Value self = args[0];
          idx.back() = partner;
          Value other = tensor::ExtractOp::create(b, loc, x, idx);
          idx.back() = pair;
          Value phi = tensor::ExtractOp::create(b, loc, angles, idx);
          Value cos = math::CosOp::create(b, loc, phi);
          Value sin = math::SinOp::create(b, loc, phi);
          // First of a pair (a, b): a cos − b sin; second: a sin + b cos with
          // a the partner.
          Value selfCos = arith::MulFOp::create(b, loc, self, cos);
          Value otherSin = arith::MulFOp::create(b, loc, other, sin);
          Value first = arith::SubFOp::create(b, loc, selfCos, otherSin);
          Value second = arith::AddFOp::create(b, loc, otherSin, selfCos);
          Value value = arith::SelectOp::create(b, loc, isFirst, first, second);
          return arith::SelectOp::create(b, loc, rotated, value, self);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Norms over the last dim
//===----------------------------------------------------------------------===//

/// Helpers for "reduce over the last dim, then normalise element-wise".
struct LastDimNorm {
  OpBuilder &b;
  Location loc;
  Value x;
  int64_t rank;
  FloatType acc;
  Type elem;

  LastDimNorm(OpBuilder &b, Location loc, Value x)
      : b(b), loc(loc), x(x),
        rank(cast<RankedTensorType>(x.getType()).getRank()),
        elem(cast<RankedTensorType>(x.getType()).getElementType()) {
    acc = accumulatorType(elem);
  }

  AffineMap identity() const { return b.getMultiDimIdentityMap(rank); }
  /// (d0, ..., d(rank-1)) -> (d0, ..., d(rank-2)).
  AffineMap dropLast() const {
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d + 1 < rank; ++d)
      exprs.push_back(b.getAffineDimExpr(d));
    return AffineMap::get(rank, 0, exprs, b.getContext());
  }
  /// (d0, ..., d(rank-1)) -> (d(rank-1)).
  AffineMap lastOnly() const {
    return AffineMap::get(rank, 0, b.getAffineDimExpr(rank - 1),
                          b.getContext());
  }

  /// Σ over the last dim of term(x, extras...) (extras read at the leading
  /// dims), in the accumulator type; shape = the leading dims of x.
  Value reduce(ValueRange extras, BodyFn term) {
    auto xType = cast<RankedTensorType>(x.getType());
    auto type = RankedTensorType::get(xType.getShape().drop_back(), acc);
    SmallVector<Value> sizes = allSizes(b, loc, x);
    sizes.pop_back();
    Value init = zeros(b, loc, type, sizes);
    SmallVector<Value> inputs{x};
    inputs.append(extras.begin(), extras.end());
    SmallVector<AffineMap> maps{identity()};
    maps.append(extras.size(), dropLast());
    maps.push_back(dropLast());
    SmallVector<IteratorType> iters(rank - 1, IteratorType::parallel);
    iters.push_back(IteratorType::reduction);
    return buildGeneric(b, loc, init, inputs, maps, iters,
                        [&](OpBuilder &b, Location loc, ValueRange args) {
                          Value t = term(b, loc, args.drop_back());
                          return arith::AddFOp::create(b, loc, args.back(), t,
                                                       kReduce);
                        });
  }

  /// y = f(x, stats..., weight) element-wise, converted to the element type.
  Value normalize(ValueRange stats, Value weight, BodyFn f) {
    SmallVector<Value> inputs{x};
    inputs.append(stats.begin(), stats.end());
    SmallVector<AffineMap> maps{identity()};
    maps.append(stats.size(), dropLast());
    if (weight) {
      inputs.push_back(weight);
      maps.push_back(lastOnly());
    }
    maps.push_back(identity());
    SmallVector<IteratorType> iters(rank, IteratorType::parallel);
    return buildGeneric(b, loc, emptyLike(b, loc, x), inputs, maps, iters,
                        [&](OpBuilder &b, Location loc, ValueRange args) {
                          return convertFloat(
                              b, loc, f(b, loc, args.drop_back()), elem);
                        });
  }

  Value toAcc(OpBuilder &b, Location loc, Value v) const {
    return convertFloat(b, loc, v, acc);
  }
};

/// y = x / sqrt(Σ x² + eps).
struct LowerL2Norm : OpRewritePattern<L2NormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(L2NormOp op,
                                PatternRewriter &rewriter) const override {
    LastDimNorm n(rewriter, op.getLoc(), op.getInput());
    Value eps =
        floatConst(rewriter, op.getLoc(), n.acc, op.getEps().convertToDouble());
    Value ss = n.reduce({}, [&](OpBuilder &b, Location loc, ValueRange args) {
      Value v = n.toAcc(b, loc, args[0]);
      return arith::MulFOp::create(b, loc, v, v);
    });
    Value y =
        n.normalize(ss, {}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value den = math::SqrtOp::create(
              b, loc, arith::AddFOp::create(b, loc, args[1], eps));
          return arith::DivFOp::create(b, loc, n.toAcc(b, loc, args[0]), den);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// y = (x − mean) / sqrt(var + eps), biased variance (two passes).
struct LowerLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    LastDimNorm n(rewriter, loc, op.getInput());
    Value eps = floatConst(rewriter, loc, n.acc, op.getEps().convertToDouble());
    Value count = dimAsFloat(rewriter, loc, op.getInput(), n.rank - 1, n.acc);
    Value sum = n.reduce({}, [&](OpBuilder &b, Location loc, ValueRange args) {
      return n.toAcc(b, loc, args[0]);
    });
    Value sq = n.reduce(sum, [&](OpBuilder &b, Location loc, ValueRange args) {
      Value mean = arith::DivFOp::create(b, loc, args[1], count);
      Value d = arith::SubFOp::create(b, loc, n.toAcc(b, loc, args[0]), mean);
      return arith::MulFOp::create(b, loc, d, d);
    });
    Value y = n.normalize(
        {sum, sq}, {}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value mean = arith::DivFOp::create(b, loc, args[1], count);
          Value var = arith::DivFOp::create(b, loc, args[2], count);
          Value den = math::SqrtOp::create(
              b, loc, arith::AddFOp::create(b, loc, var, eps));
          Value d =
              arith::SubFOp::create(b, loc, n.toAcc(b, loc, args[0]), mean);
          return arith::DivFOp::create(b, loc, d, den);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// y = x / sqrt(mean(x²) + eps) ⊙ weight.
struct LowerRMSNorm : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    LastDimNorm n(rewriter, loc, op.getInput());
    Value eps = floatConst(rewriter, loc, n.acc, op.getEps().convertToDouble());
    Value count = dimAsFloat(rewriter, loc, op.getInput(), n.rank - 1, n.acc);
    Value ss = n.reduce({}, [&](OpBuilder &b, Location loc, ValueRange args) {
      Value v = n.toAcc(b, loc, args[0]);
      return arith::MulFOp::create(b, loc, v, v);
    });
    Value y = n.normalize(
        ss, op.getWeight(), [&](OpBuilder &b, Location loc, ValueRange args) {
          Value ms = arith::DivFOp::create(b, loc, args[1], count);
          Value den = math::SqrtOp::create(
              b, loc, arith::AddFOp::create(b, loc, ms, eps));
          Value normed =
              arith::DivFOp::create(b, loc, n.toAcc(b, loc, args[0]), den);
          return arith::MulFOp::create(b, loc, normed,
                                       n.toAcc(b, loc, args[2]));
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void hymir::loops::populateStateAlgebraPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerScale, LowerOuter, LowerRead, LowerFullReduction<DotOp>,
               LowerFullReduction<SumOp>, LowerMix, LowerRotary, LowerL2Norm,
               LowerLayerNorm, LowerRMSNorm>(patterns.getContext());
}
