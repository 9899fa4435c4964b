//===- Attention.cpp - Sequential lowering of hymir attention ops ---------===//
//
// One query row at a time, with the online softmax over the allowed keys
// (running max m, running sum l, a [V] accumulator), so no T×T score buffer
// exists. Masked keys are never visited: the causal and window masks only
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
                  Value prod =
                      arith::MulFOp::create(b, loc, spec.loadQuery(b, loc, k),
                                            spec.loadKey(b, loc, j, k));
                  Value next = arith::AddFOp::create(b, loc, sum[0], prod);
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
        Value corr = arith::SelectOp::create(
            b, loc, dead, fOne,
            math::ExpOp::create(b, loc,
                                arith::SubFOp::create(b, loc, m, mNew)));
        Value p = arith::SelectOp::create(
            b, loc, dead, fZero,
            math::ExpOp::create(b, loc,
                                arith::SubFOp::create(b, loc, s, mNew)));
        Value lNew = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, l, corr), p);
        Value rowNew =
            scf::ForOp::create(
                b, loc, zero, spec.valueDim, one, row,
                [&](OpBuilder &b, Location loc, Value v, ValueRange acc) {
                  Value old = tensor::ExtractOp::create(b, loc, acc[0], v);
                  Value scaled = arith::MulFOp::create(b, loc, old, corr);
                  Value add = arith::MulFOp::create(
                      b, loc, p, spec.loadValue(b, loc, j, v));
                  Value sum = arith::AddFOp::create(b, loc, scaled, add);
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

namespace {

/// hymir.attention: loops over (b, h, i) around one softmax row.
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
    Value accumulator = emptyAccumulator(rewriter, loc, v, 3, acc);
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    std::optional<int64_t> window;
    if (auto w = op.getWindowAttr())
      window = w.getInt();
    Region *scoreMod = op.getScoreMod().empty() ? nullptr : &op.getScoreMod();

    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, {zero, zero, zero}, {batch, heads, tq}, {one, one, one},
        {out, accumulator},
        [&](OpBuilder &b, Location loc, ValueRange ivs,
            ValueRange args) -> scf::ValueVector {
          Value bi = ivs[0], h = ivs[1], i = ivs[2];
          Value hk = kvHead(b, loc, h, group);
          Value queryPos = arith::AddIOp::create(b, loc, i, delta);
          Value afterQuery = arith::AddIOp::create(b, loc, queryPos, one);

          RowSpec spec;
          spec.acc = acc;
          spec.queryPos = queryPos;
          spec.head = h;
          // Causal: j ≤ i + δ. Window: i + δ − window < j.
          spec.keyEnd =
              op.getCausal()
                  ? arith::MinSIOp::create(b, loc, tk, afterQuery).getResult()
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
            return convertFloat(
                b, loc,
                tensor::ExtractOp::create(b, loc, q, ValueRange{bi, i, h, kk}),
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
            return tensor::InsertOp::create(b, loc,
                                            convertFloat(b, loc, x, elem), o,
                                            ValueRange{bi, i, h, vv});
          };
          spec.loadQuery = loadQuery;
          spec.loadKey = loadKey;
          spec.loadValue = loadValue;
          spec.store = store;
          auto [newOut, newAcc] =
              emitAttentionRow(b, loc, spec, args[0], args[1]);
          return {newOut, newAcc};
        });
    rewriter.replaceOp(op, nest.results.front());
    return success();
  }
};

/// hymir.attention_decode: loops over (b, h); the query sits at position
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
    Value accumulator = emptyAccumulator(rewriter, loc, v, 3, acc);
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    std::optional<int64_t> window;
    if (auto w = op.getWindowAttr())
      window = w.getInt();

    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, {zero, zero}, {batch, heads}, {one, one},
        {out, accumulator},
        [&](OpBuilder &b, Location loc, ValueRange ivs,
            ValueRange args) -> scf::ValueVector {
          Value bi = ivs[0], h = ivs[1];
          Value hk = kvHead(b, loc, h, group);
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
            return tensor::InsertOp::create(b, loc,
                                            convertFloat(b, loc, x, elem), o,
                                            ValueRange{bi, h, vv});
          };
          spec.loadQuery = loadQuery;
          spec.loadKey = loadKey;
          spec.loadValue = loadValue;
          spec.store = store;
          auto [newOut, newAcc] =
              emitAttentionRow(b, loc, spec, args[0], args[1]);
          return {newOut, newAcc};
        });
    rewriter.replaceOp(op, nest.results.front());
    return success();
  }
};

} // namespace

void hymir::loops::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAttention, LowerAttentionDecode>(patterns.getContext());
}
