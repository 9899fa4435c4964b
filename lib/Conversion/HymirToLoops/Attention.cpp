//===- Attention.cpp - Sequential lowering of hymir attention ops ---------===//
//
// A parallel loop (scf.forall) over (batch, head), each iteration owning its
// slice of the output and its own [V] accumulator; inside, one query row at a
// time, with the online softmax over the allowed keys (running max m, running
// sum l, the accumulator), so no T×T score buffer exists. Masked keys are never visited: the causal and window masks only
// narrow the key loop's bounds. Scalar loops with tensor.extract/insert keep
// every value in place after bufferization.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace hymir;
using namespace hymir::loops;

namespace {

using LoadQueryFn = function_ref<Value(OpBuilder &, Location, Value k)>;
using LoadKeyValueFn =
    function_ref<Value(OpBuilder &, Location, Value j, Value d)>;
using StoreFn =
    function_ref<Value(OpBuilder &, Location, Value out, Value d, Value x)>;

/// What the softmax loop of one query row needs, whatever the op form. Loads
/// return accumulator-typed scalars; `store` writes one output element.
struct RowSpec {
  FloatType acc;
  Value queryPos, head;    // absolute query position and query head
  Value keyBegin, keyEnd;  // the allowed keys: [keyBegin, keyEnd)
  Value headDim, valueDim; // K and V
  Value scale;
  std::optional<double> softcap;
  Region *scoreMod = nullptr;
  Value sink; // sink logit of this head, or null
  LoadQueryFn loadQuery;
  LoadKeyValueFn loadKey, loadValue;
  StoreFn store;
};

} // namespace

/// Inlines the `score_mod` region for one score.
static Value applyScoreMod(OpBuilder &b, Location loc, Region &region,
                           Value score, Value queryPos, Value keyPos,
                           Value head, FloatType acc) {
  Block &block = region.front();
  IRMapping mapping;
  mapping.map(block.getArgument(0),
              convertFloat(b, loc, score, block.getArgument(0).getType()));
  mapping.map(block.getArgument(1), queryPos);
  mapping.map(block.getArgument(2), keyPos);
  mapping.map(block.getArgument(3), head);
  for (Operation &op : block.without_terminator())
    b.clone(op, mapping);
  Value result = mapping.lookupOrDefault(
      cast<YieldOp>(block.getTerminator()).getValues().front());
  return convertFloat(b, loc, result, acc);
}

/// Emits one query row into `out` (through `spec.store`), using `accumulator`
/// ([V], accumulator type) as scratch. Returns the updated {out, accumulator}.
static std::pair<Value, Value> emitAttentionRow(OpBuilder &b, Location loc,
                                                const RowSpec &spec, Value out,
                                                Value accumulator) {
  FloatType acc = spec.acc;
  Value zero = indexConst(b, loc, 0);
  Value one = indexConst(b, loc, 1);
  Value fZero = floatConst(b, loc, acc, 0.0);
  Value fOne = floatConst(b, loc, acc, 1.0);
  Value negInf =
      floatConst(b, loc, acc, -std::numeric_limits<double>::infinity());

  // Reset the accumulator row.
  accumulator = scf::ForOp::create(
                    b, loc, zero, spec.valueDim, one, accumulator,
                    [&](OpBuilder &b, Location loc, Value v, ValueRange args) {
                      Value next =
                          tensor::InsertOp::create(b, loc, fZero, args[0], v);
                      scf::YieldOp::create(b, loc, next);
                    })
                    .getResult(0);

  // A sink is a key with logit σ and value 0: it starts the running max and
  // sum, so it counts in the denominator only.
  Value m0 = spec.sink ? spec.sink : negInf;
  Value l0 = spec.sink ? fOne : fZero;

  auto keyLoop = scf::ForOp::create(
      b, loc, spec.keyBegin, spec.keyEnd, one, ValueRange{m0, l0, accumulator},
      [&](OpBuilder &b, Location loc, Value j, ValueRange args) {
        Value m = args[0], l = args[1], row = args[2];
        // s = scale · <q_i, k_j>
        Value dot =
            scf::ForOp::create(
                b, loc, zero, spec.headDim, one, fZero,
                [&](OpBuilder &b, Location loc, Value k, ValueRange sum) {
                  Value prod = arith::MulFOp::create(
                      b, loc, spec.loadQuery(b, loc, k),
                      spec.loadKey(b, loc, j, k), kReduce);
                  Value next =
                      arith::AddFOp::create(b, loc, sum[0], prod, kReduce);
                  scf::YieldOp::create(b, loc, next);
                })
                .getResult(0);
        Value s = arith::MulFOp::create(b, loc, dot, spec.scale);
        if (spec.softcap) {
          Value cap = floatConst(b, loc, acc, *spec.softcap);
          Value t = math::TanhOp::create(b, loc,
                                         arith::DivFOp::create(b, loc, s, cap));
          s = arith::MulFOp::create(b, loc, cap, t);
        }
        if (spec.scoreMod)
          s = applyScoreMod(b, loc, *spec.scoreMod, s, spec.queryPos, j,
                            spec.head, acc);

        // Online softmax. While every score so far is -inf (score_mod may
        // mask), m stays -inf and exp(-inf - -inf) would be NaN: keep l and
        // the row at their zero values instead.
        Value mNew = arith::MaximumFOp::create(b, loc, m, s);
        Value dead = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           mNew, negInf);
        // corr = exp(m − m_new), which is 1 unless the running max moved
        // (rare: about log T times a row on random data), and also 1 while
        // the row is dead (both -inf). Branching around the exp saves a libm
        // call per key and gives the same bits: exp(0) is exactly 1.
        Value same = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           m, mNew);
        Value corr =
            scf::IfOp::create(
                b, loc, same,
                [&](OpBuilder &b, Location loc) {
                  scf::YieldOp::create(b, loc, fOne);
                },
                [&](OpBuilder &b, Location loc) {
                  scf::YieldOp::create(
                      b, loc,
                      math::ExpOp::create(
                          b, loc, arith::SubFOp::create(b, loc, m, mNew))
                          .getResult());
                })
                .getResult(0);
        Value p = arith::SelectOp::create(
            b, loc, dead, fZero,
            math::ExpOp::create(b, loc,
                                arith::SubFOp::create(b, loc, s, mNew)));
        Value lNew = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, l, corr, kContract), p,
            kContract);
        Value rowNew =
            scf::ForOp::create(
                b, loc, zero, spec.valueDim, one, row,
                [&](OpBuilder &b, Location loc, Value v, ValueRange acc) {
                  Value old = tensor::ExtractOp::create(b, loc, acc[0], v);
                  Value scaled =
                      arith::MulFOp::create(b, loc, old, corr, kContract);
                  Value add = arith::MulFOp::create(
                      b, loc, p, spec.loadValue(b, loc, j, v), kContract);
                  Value sum =
                      arith::AddFOp::create(b, loc, scaled, add, kContract);
                  Value next = tensor::InsertOp::create(b, loc, sum, acc[0], v);
                  scf::YieldOp::create(b, loc, next);
                })
                .getResult(0);
        scf::YieldOp::create(b, loc, ValueRange{mNew, lNew, rowNew});
      });
  Value l = keyLoop.getResult(1);
  accumulator = keyLoop.getResult(2);

  // o = row / l; a row without any allowed key (l = 0) is 0.
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l, fZero);
  Value inv = arith::SelectOp::create(
      b, loc, positive, arith::DivFOp::create(b, loc, fOne, l), fZero);
  Value finalRow = accumulator;
  out = scf::ForOp::create(
            b, loc, zero, spec.valueDim, one, out,
            [&](OpBuilder &b, Location loc, Value v, ValueRange args) {
              Value x = tensor::ExtractOp::create(b, loc, finalRow, v);
              Value o = arith::MulFOp::create(b, loc, x, inv);
              scf::YieldOp::create(b, loc, spec.store(b, loc, args[0], v, o));
            })
            .getResult(0);
  return {out, accumulator};
}

/// The scale attribute, or 1/√K.
static Value buildScale(OpBuilder &b, Location loc, FloatAttr scale,
                        Value query, int64_t headDimIndex, FloatType acc) {
  if (scale)
    return floatConst(b, loc, acc, scale.getValueAsDouble());
  auto type = cast<RankedTensorType>(query.getType());
  if (!type.isDynamicDim(headDimIndex))
    return floatConst(
        b, loc, acc,
        1.0 / std::sqrt(static_cast<double>(type.getDimSize(headDimIndex))));
  Value k = dimAsFloat(b, loc, query, headDimIndex, acc);
  return arith::DivFOp::create(b, loc, floatConst(b, loc, acc, 1.0),
                               math::SqrtOp::create(b, loc, k));
}

static std::optional<double> softcapOf(FloatAttr attr) {
  if (!attr)
    return std::nullopt;
  return attr.getValueAsDouble();
}

/// Kv head of query head `h` (block mapping).
static Value kvHead(OpBuilder &b, Location loc, Value h, int64_t group) {
  if (group == 1)
    return h;
  return arith::DivUIOp::create(b, loc, h, indexConst(b, loc, group));
}

/// The [V] accumulator row, in the accumulator type.
static Value emptyAccumulator(OpBuilder &b, Location loc, Value value,
                              int64_t vDim, FloatType acc) {
  auto valueType = cast<RankedTensorType>(value.getType());
  auto type = RankedTensorType::get({valueType.getDimSize(vDim)}, acc);
  return emptyWithLeading(b, loc, type, {dimSize(b, loc, value, vDim)});
}

/// `dest[offsets...]` with unit sizes at the `fixed` dims and full sizes
/// elsewhere, rank-reduced (the slice one (b, h) owns), and the matching
/// parallel_insert_slice.
static SmallVector<OpFoldResult> ownedSizes(OpBuilder &b, Location loc,
                                           Value dest, ArrayRef<bool> fixed) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, dest);
  for (auto [d, isFixed] : llvm::enumerate(fixed))
    if (isFixed)
      sizes[d] = b.getIndexAttr(1);
  return sizes;
}

static Value extractOwned(OpBuilder &b, Location loc, Value dest,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<bool> fixed) {
  auto type = cast<RankedTensorType>(dest.getType());
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(type.getShape()))
    if (!fixed[d])
      shape.push_back(size);
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), dest,
      offsets, ownedSizes(b, loc, dest, fixed), strides);
}

static void insertOwned(OpBuilder &b, Location loc, Value slice, Value dest,
                        ArrayRef<OpFoldResult> offsets, ArrayRef<bool> fixed) {
  // Sizes first: the terminator holds parallel_insert_slice ops only.
  SmallVector<OpFoldResult> sizes = ownedSizes(b, loc, dest, fixed);
  SmallVector<OpFoldResult> strides(
      cast<RankedTensorType>(dest.getType()).getRank(), b.getIndexAttr(1));
  auto inParallel = scf::InParallelOp::create(b, loc);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(inParallel.getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, slice, dest, offsets, sizes,
                                        strides);
}

namespace {

/// hymir.attention: a parallel loop over (b, h), each iteration a loop over
/// the query rows i of out[b, :, h] around one softmax row.
struct LowerAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    auto qType = cast<RankedTensorType>(q.getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elem = resultType.getElementType();
    FloatType acc = accumulatorType(elem);
    int64_t hq = qType.getDimSize(2);
    int64_t group = hq / cast<RankedTensorType>(k.getType()).getDimSize(2);

    Value batch = dimSize(rewriter, loc, q, 0);
    Value tq = dimSize(rewriter, loc, q, 1);
    Value tk = dimSize(rewriter, loc, k, 1);
    Value headDim = dimSize(rewriter, loc, q, 3);
    Value valueDim = dimSize(rewriter, loc, v, 3);
    Value heads = indexConst(rewriter, loc, hq);
    // δ = Tk − Tq aligns the causal mask to the bottom-right corner.
    Value delta = arith::SubIOp::create(rewriter, loc, tk, tq);
    Value scale = buildScale(rewriter, loc, op.getScaleAttr(), q, 3, acc);

    Value out = emptyWithLeading(rewriter, loc, resultType,
                                 {batch, tq, heads, valueDim});
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    std::optional<int64_t> window;
    if (auto w = op.getWindowAttr())
      window = w.getInt();
    Region *scoreMod = op.getScoreMod().empty() ? nullptr : &op.getScoreMod();

    auto forall = scf::ForallOp::create(
        rewriter, loc, {OpFoldResult(batch), rewriter.getIndexAttr(hq)}, out,
        /*mapping=*/std::nullopt,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value bi = args[0], h = args[1], shared = args[2];
          Value hk = kvHead(b, loc, h, group);
          // out[b, :, h, :] as [Tq, V], and a [V] accumulator of its own.
          SmallVector<OpFoldResult> offsets{bi, b.getIndexAttr(0), h,
                                            b.getIndexAttr(0)};
          SmallVector<bool> fixed{true, false, true, false};
          Value owned = extractOwned(b, loc, shared, offsets, fixed);
          Value accumulator = emptyAccumulator(b, loc, v, 3, acc);
          auto rows = scf::ForOp::create(
              b, loc, zero, tq, one, ValueRange{owned, accumulator},
              [&](OpBuilder &b, Location loc, Value i, ValueRange rowArgs) {
                Value queryPos = arith::AddIOp::create(b, loc, i, delta);
                Value afterQuery = arith::AddIOp::create(b, loc, queryPos, one);

                RowSpec spec;
                spec.acc = acc;
                spec.queryPos = queryPos;
                spec.head = h;
                // Causal: j ≤ i + δ. Window: i + δ − window < j.
                spec.keyEnd = op.getCausal()
                                  ? arith::MinSIOp::create(b, loc, tk,
                                                           afterQuery)
                                        .getResult()
                                  : tk;
                spec.keyBegin = zero;
                if (window)
                  spec.keyBegin = arith::MaxSIOp::create(
                      b, loc, zero,
                      arith::SubIOp::create(b, loc, afterQuery,
                                            indexConst(b, loc, *window)));
                spec.headDim = headDim;
                spec.valueDim = valueDim;
                spec.scale = scale;
                spec.softcap = softcapOf(op.getSoftcapAttr());
                spec.scoreMod = scoreMod;
                if (Value sinks = op.getSinks())
                  spec.sink = convertFloat(
                      b, loc, tensor::ExtractOp::create(b, loc, sinks, h), acc);
                auto loadQuery = [&](OpBuilder &b, Location loc, Value kk) {
                  return convertFloat(b, loc,
                                      tensor::ExtractOp::create(
                                          b, loc, q, ValueRange{bi, i, h, kk}),
                                      acc);
                };
                auto loadKey = [&](OpBuilder &b, Location loc, Value j,
                                   Value kk) {
                  return convertFloat(b, loc,
                                      tensor::ExtractOp::create(
                                          b, loc, k, ValueRange{bi, j, hk, kk}),
                                      acc);
                };
                auto loadValue = [&](OpBuilder &b, Location loc, Value j,
                                     Value vv) {
                  return convertFloat(b, loc,
                                      tensor::ExtractOp::create(
                                          b, loc, v, ValueRange{bi, j, hk, vv}),
                                      acc);
                };
                auto store = [&](OpBuilder &b, Location loc, Value o, Value vv,
                                 Value x) -> Value {
                  return tensor::InsertOp::create(
                      b, loc, convertFloat(b, loc, x, elem), o,
                      ValueRange{i, vv});
                };
                spec.loadQuery = loadQuery;
                spec.loadKey = loadKey;
                spec.loadValue = loadValue;
                spec.store = store;
                auto [newOut, newAcc] =
                    emitAttentionRow(b, loc, spec, rowArgs[0], rowArgs[1]);
                scf::YieldOp::create(b, loc, ValueRange{newOut, newAcc});
              });
          insertOwned(b, loc, rows.getResult(0), shared, offsets, fixed);
        });
    rewriter.replaceOp(op, forall.getResult(0));
    return success();
  }
};

/// hymir.attention_decode: a parallel loop over (b, h); the query sits at position
/// len − 1 with len = lengths[b] (or L), and sees keys j < len.
struct LowerAttentionDecode : OpRewritePattern<AttentionDecodeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionDecodeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = op.getQuery(), k = op.getKeyCache(), v = op.getValueCache();
    auto qType = cast<RankedTensorType>(q.getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elem = resultType.getElementType();
    FloatType acc = accumulatorType(elem);
    int64_t hq = qType.getDimSize(1);
    int64_t group = hq / cast<RankedTensorType>(k.getType()).getDimSize(2);

    Value batch = dimSize(rewriter, loc, q, 0);
    Value cacheLen = dimSize(rewriter, loc, k, 1);
    Value headDim = dimSize(rewriter, loc, q, 2);
    Value valueDim = dimSize(rewriter, loc, v, 3);
    Value heads = indexConst(rewriter, loc, hq);
    Value scale = buildScale(rewriter, loc, op.getScaleAttr(), q, 2, acc);

    Value out =
        emptyWithLeading(rewriter, loc, resultType, {batch, heads, valueDim});
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    std::optional<int64_t> window;
    if (auto w = op.getWindowAttr())
      window = w.getInt();

    auto forall = scf::ForallOp::create(
        rewriter, loc, {OpFoldResult(batch), rewriter.getIndexAttr(hq)}, out,
        /*mapping=*/std::nullopt,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value bi = args[0], h = args[1], shared = args[2];
          Value hk = kvHead(b, loc, h, group);
          SmallVector<OpFoldResult> offsets{bi, h, b.getIndexAttr(0)};
          SmallVector<bool> fixed{true, true, false};
          Value owned = extractOwned(b, loc, shared, offsets, fixed);
          Value accumulator = emptyAccumulator(b, loc, v, 3, acc);
          // Valid keys: j < len, len = min(lengths[b], L) (the clamp only
          // guards the cache bounds against a bad length).
          Value len = cacheLen;
          if (Value lengths = op.getLengths()) {
            Value raw = tensor::ExtractOp::create(b, loc, lengths, bi);
            Value asIndex =
                arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
            len = arith::MinSIOp::create(b, loc, asIndex, cacheLen);
          }

          RowSpec spec;
          spec.acc = acc;
          spec.queryPos = arith::SubIOp::create(b, loc, len, one);
          spec.head = h;
          spec.keyEnd = len;
          spec.keyBegin = zero;
          if (window)
            spec.keyBegin = arith::MaxSIOp::create(
                b, loc, zero,
                arith::SubIOp::create(b, loc, len,
                                      indexConst(b, loc, *window)));
          spec.headDim = headDim;
          spec.valueDim = valueDim;
          spec.scale = scale;
          spec.softcap = softcapOf(op.getSoftcapAttr());
          auto loadQuery = [&](OpBuilder &b, Location loc, Value kk) {
            return convertFloat(
                b, loc,
                tensor::ExtractOp::create(b, loc, q, ValueRange{bi, h, kk}),
                acc);
          };
          auto loadKey = [&](OpBuilder &b, Location loc, Value j, Value kk) {
            return convertFloat(
                b, loc,
                tensor::ExtractOp::create(b, loc, k, ValueRange{bi, j, hk, kk}),
                acc);
          };
          auto loadValue = [&](OpBuilder &b, Location loc, Value j, Value vv) {
            return convertFloat(
                b, loc,
                tensor::ExtractOp::create(b, loc, v, ValueRange{bi, j, hk, vv}),
                acc);
          };
          auto store = [&](OpBuilder &b, Location loc, Value o, Value vv,
                           Value x) -> Value {
            return tensor::InsertOp::create(
                b, loc, convertFloat(b, loc, x, elem), o, ValueRange{vv});
          };
          spec.loadQuery = loadQuery;
          spec.loadKey = loadKey;
          spec.loadValue = loadValue;
          spec.store = store;
          Value row = emitAttentionRow(b, loc, spec, owned, accumulator).first;
          insertOwned(b, loc, row, shared, offsets, fixed);
        });
    rewriter.replaceOp(op, forall.getResult(0));
    return success();
  }
};

} // namespace

void hymir::loops::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAttention, LowerAttentionDecode>(patterns.getContext());
}
