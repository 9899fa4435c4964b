//===- TileAttention.cpp - hymir-tile-attention ---------------------------===//
//
// FlashAttention-style tiling of `hymir.attention` for the CPU (see the pass
// description in Passes.td and docs/attention-cpu.md). Per (batch, kv head,
// query tile) — one iteration of an scf.forall — the query heads of the kv
// head's group are packed into one tile of R = G · Br rows (row g · Br + r is
// query position i0 + r of head h0 + g), so every K/V tile loaded serves the
// whole group. The loop over key tiles of Bc keys carries the online softmax
// (O [R, V], running max m and sum l as vector<R>):
//
//   Sᵀ = K_tile (scale · Q)ᵀ                 [Bc, R]   (register-tiled FMAs)
//   m' = max(m, colmax Sᵀ);  Pᵀ = exp(Sᵀ − m');  l = e^{m − m'} l + colsum Pᵀ
//   O = diag(e^{m − m'}) O + P V_tile        [R, V]    (register-tiled FMAs)
//
// Scores are kept transposed (keys × queries) so that the softmax statistics
// are element-wise vector<R> operations across query rows, with no
// horizontal reductions, and so that the one transposed copy needed by the
// products is that of Q, made once per query tile. The two products are
// `hymir.chunk_matmul` generics for hymir-vectorize-chunk-matmuls. Key tiles
// entirely outside the causal / window band are never visited; the mask is
// applied only to tiles that cross the band's edges or the end of the keys.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "PolynomialMath.h"
#include "TensorBuilders.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>

#define DEBUG_TYPE "hymir-tile-attention"

namespace hymir {
#define GEN_PASS_DEF_TILEATTENTIONPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;
using namespace hymir;

namespace {

/// The tile shape chosen for one attention op.
struct TilePlan {
  int64_t group = 1;     // G = Hq / Hkv query heads per kv head
  int64_t positions = 1; // Br: query positions per tile
  int64_t rows = 1;      // R = G · Br rows of the packed query tile
  int64_t keys = 1;      // Bc: keys per tile
  int64_t kvHeads = 1, headDim = 1, valueDim = 1;
  double scale = 1.0;
};

} // namespace

static Value splat(OpBuilder &b, Location loc, VectorType type, Value x) {
  return vector::BroadcastOp::create(b, loc, type, x);
}

static AffineMap map(MLIRContext *ctx, ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(3, 0, exprs, ctx);
}

/// `math.exp` of the tiled form, marked for the polynomial rewrite at the
/// end of the pass (the user's own exps keep libm's).
static Value fastExp(OpBuilder &b, Location loc, Value x) {
  auto exp = math::ExpOp::create(b, loc, x);
  exp->setAttr("hymir.attention_exp", b.getUnitAttr());
  return exp;
}

/// `C[d0, d1] += Σ_d2 A · B` with the given operand maps, tagged for
/// hymir-vectorize-chunk-matmuls (the generic lowers to loops without it).
static Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                    Value init, AffineMap lhsMap, AffineMap rhsMap) {
  MLIRContext *ctx = b.getContext();
  auto par = utils::IteratorType::parallel;
  auto flags = arith::FastMathFlags::contract | arith::FastMathFlags::reassoc;
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs}, ValueRange{init},
      ArrayRef<AffineMap>{lhsMap, rhsMap, map(ctx, {0, 1})},
      ArrayRef<utils::IteratorType>{par, par, utils::IteratorType::reduction},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value m = arith::MulFOp::create(b, loc, args[0], args[1], flags);
        Value s = arith::AddFOp::create(b, loc, args[2], m, flags);
        linalg::YieldOp::create(b, loc, s);
      });
  op->setAttr("hymir.chunk_matmul", b.getUnitAttr());
  return op.getResult(0);
}

/// Returns "" and fills `plan` when `op` has a tiled form; else why not.
static std::string analyze(AttentionOp op, int64_t rowTarget, int64_t keyTile,
                           TilePlan &plan) {
  if (!op.getScoreMod().empty())
    return "a score_mod region is not tiled yet";
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  auto vType = cast<RankedTensorType>(op.getValue().getType());
  auto rType = cast<RankedTensorType>(op.getResult().getType());
  for (RankedTensorType type : {qType, kType, vType, rType})
    if (!type.getElementType().isF32())
      return "only f32 attention is tiled";
  if (Value sinks = op.getSinks())
    if (!cast<RankedTensorType>(sinks.getType()).getElementType().isF32())
      return "only f32 sinks are tiled";
  // The tiles' shapes (and the vector widths of their row copies).
  if (qType.isDynamicDim(2) || kType.isDynamicDim(2) || vType.isDynamicDim(2) ||
      qType.isDynamicDim(3) || kType.isDynamicDim(3) || vType.isDynamicDim(3))
    return "the head count and head dims must be static";
  plan.kvHeads = kType.getDimSize(2);
  plan.group = qType.getDimSize(2) / plan.kvHeads;
  plan.headDim = qType.getDimSize(3);
  plan.valueDim = vType.getDimSize(3);
  plan.keys = keyTile;
  // Br positions per head: the packed tile as close to `rowTarget` rows as
  // possible, preferably a multiple of 16 rows (whole vector<16> columns of
  // the score tile).
  int64_t g = plan.group;
  int64_t br = std::max<int64_t>(1, rowTarget / g);
  int64_t aligned = br;
  while (aligned > 1 && (aligned * g) % 16 != 0)
    --aligned;
  if ((aligned * g) % 16 == 0)
    br = aligned;
  plan.positions = br;
  plan.rows = br * g;
  if (FloatAttr scale = op.getScaleAttr())
    plan.scale = scale.getValueAsDouble();
  else
    plan.scale = 1.0 / std::sqrt(static_cast<double>(plan.headDim));
  return "";
}

namespace {

/// What the softmax of one score tile needs besides the tile itself.
struct TileContext {
  const TilePlan &plan;
  std::optional<double> softcap;
  bool causal;
  std::optional<int64_t> window;
  Value j0;       // first key of the tile (index)
  Value tk;       // number of keys (index)
  Value position; // vector<R x i64>: each row's query position i + δ
};

/// The softmax update of one score tile `scores` ([Bc, R], keys × rows):
/// returns {Pᵀ (in place of the scores), m', l', e^{m − m'}}. With `masked`,
/// keys outside each row's band (and past the end) are excluded; without,
/// every key of the tile is allowed for every row.
static SmallVector<Value> softmaxTile(OpBuilder &b, Location loc,
                                      const TileContext &t, Value scores,
                                      Value m, Value l, bool masked) {
  int64_t R = t.plan.rows, Bc = t.plan.keys;
  auto rowType = VectorType::get({R}, b.getF32Type());
  auto posType = VectorType::get({R}, b.getI64Type());
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  Value keyCount = indexConst(b, loc, Bc);
  Value pad = f32Const(b, loc, 0.0);
  Value negInf =
      splat(b, loc, rowType,
            f32Const(b, loc, -std::numeric_limits<double>::infinity()));
  Value zeroRow = splat(b, loc, rowType, pad);

  // allowed(row, j0 + j): j ≤ i + δ (causal), i + δ − w < j (window), j < Tk.
  auto allowed = [&](OpBuilder &b, Location loc, Value j) -> Value {
    Value key = arith::AddIOp::create(b, loc, t.j0, j);
    Value key64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), key);
    Value keys = splat(b, loc, posType, key64);
    Value inRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, key, t.tk);
    Value ok = splat(b, loc, VectorType::get({R}, b.getI1Type()), inRange);
    if (t.causal)
      ok = arith::AndIOp::create(
          b, loc, ok,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, keys,
                                t.position));
    if (t.window) {
      Value w = splat(
          b, loc, posType,
          arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(*t.window)));
      Value lowest = arith::SubIOp::create(b, loc, t.position, w);
      ok = arith::AndIOp::create(
          b, loc, ok,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, keys,
                                lowest));
    }
    return ok;
  };

  // Pass 1: softcap (written back) and the column maxima.
  auto maxLoop = scf::ForOp::create(
      b, loc, zero, keyCount, one, ValueRange{scores, negInf},
      [&](OpBuilder &b, Location loc, Value j, ValueRange acc) {
        Value tile = acc[0];
        Value s = vector::TransferReadOp::create(b, loc, rowType, tile,
                                                 ValueRange{j, zero}, pad,
                                                 ArrayRef<bool>{true});
        if (t.softcap) {
          // c · tanh(s / c) = c − 2c / (e^{2s/c} + 1): exact limits ±c,
          // absolute error a few ulp of c.
          Value twoOverC =
              splat(b, loc, rowType, f32Const(b, loc, 2.0 / *t.softcap));
          Value c = splat(b, loc, rowType, f32Const(b, loc, *t.softcap));
          Value twoC =
              splat(b, loc, rowType, f32Const(b, loc, 2.0 * *t.softcap));
          Value e = fastExp(b, loc, arith::MulFOp::create(b, loc, s, twoOverC));
          Value den = arith::AddFOp::create(
              b, loc, e, splat(b, loc, rowType, f32Const(b, loc, 1.0)));
          s = arith::SubFOp::create(b, loc, c,
                                    arith::DivFOp::create(b, loc, twoC, den));
          tile = vector::TransferWriteOp::create(
                     b, loc, s, tile, ValueRange{j, zero}, ArrayRef<bool>{true})
                     .getResult();
        }
        if (masked)
          s = arith::SelectOp::create(b, loc, allowed(b, loc, j), s, negInf);
        Value mx = arith::MaximumFOp::create(b, loc, acc[1], s);
        scf::YieldOp::create(b, loc, ValueRange{tile, mx});
      });
  scores = maxLoop.getResult(0);
  Value mNew = arith::MaximumFOp::create(b, loc, m, maxLoop.getResult(1));
  // A row with no allowed key so far keeps m = −inf: exponentiate against 0
  // instead (its P is masked to 0 and its O and l are 0).
  Value dead =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew, negInf);
  Value mSafe = arith::SelectOp::create(b, loc, dead, zeroRow, mNew);
  Value wasDead =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m, negInf);
  Value corr = arith::SelectOp::create(
      b, loc, wasDead, zeroRow,
      fastExp(b, loc, arith::SubFOp::create(b, loc, m, mSafe)));

  // Pass 2: Pᵀ = exp(Sᵀ − m') in place, and its column sums.
  auto expLoop = scf::ForOp::create(
      b, loc, zero, keyCount, one, ValueRange{scores, zeroRow},
      [&](OpBuilder &b, Location loc, Value j, ValueRange acc) {
        Value s = vector::TransferReadOp::create(b, loc, rowType, acc[0],
                                                 ValueRange{j, zero}, pad,
                                                 ArrayRef<bool>{true});
        Value p = fastExp(b, loc, arith::SubFOp::create(b, loc, s, mSafe));
        if (masked)
          p = arith::SelectOp::create(b, loc, allowed(b, loc, j), p, zeroRow);
        Value sum = arith::AddFOp::create(b, loc, acc[1], p);
        Value tile = vector::TransferWriteOp::create(b, loc, p, acc[0],
                                                     ValueRange{j, zero},
                                                     ArrayRef<bool>{true})
                         .getResult();
        scf::YieldOp::create(b, loc, ValueRange{tile, sum});
      });
  Value lNew = arith::AddFOp::create(
      b, loc, arith::MulFOp::create(b, loc, l, corr), expLoop.getResult(1));
  return {expLoop.getResult(0), mNew, lNew, corr};
}

} // namespace

/// A [rows, N] tile whose rows [0, count) are rows [row0, row0 + count) of
/// `source[bi, ·, head, :]` (a [B, T, heads, N] tensor) and whose other rows
/// are zero (written here, not filled first: a full tile is one copy).
static Value copyRows(OpBuilder &b, Location loc, Value source, Value bi,
                      Value head, Value row0, Value count, int64_t rows) {
  auto sourceType = cast<RankedTensorType>(source.getType());
  int64_t n = sourceType.getDimSize(3);
  auto vecType = VectorType::get({n}, b.getF32Type());
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  Value pad = f32Const(b, loc, 0.0);
  Value dest = tensor::EmptyOp::create(b, loc, {rows, n}, b.getF32Type());
  auto copy = scf::ForOp::create(
      b, loc, zero, count, one, ValueRange{dest},
      [&](OpBuilder &b, Location loc, Value r, ValueRange acc) {
        Value t = arith::AddIOp::create(b, loc, row0, r);
        Value row = vector::TransferReadOp::create(
            b, loc, vecType, source, ValueRange{bi, t, head, zero}, pad,
            ArrayRef<bool>{true});
        Value next = vector::TransferWriteOp::create(b, loc, row, acc[0],
                                                     ValueRange{r, zero},
                                                     ArrayRef<bool>{true})
                         .getResult();
        scf::YieldOp::create(b, loc, next);
      });
  Value zeroRow = splat(b, loc, vecType, pad);
  return scf::ForOp::create(
             b, loc, count, indexConst(b, loc, rows), one, copy.getResults(),
             [&](OpBuilder &b, Location loc, Value r, ValueRange acc) {
               Value next = vector::TransferWriteOp::create(
                                b, loc, zeroRow, acc[0], ValueRange{r, zero},
                                ArrayRef<bool>{true})
                                .getResult();
               scf::YieldOp::create(b, loc, next);
             })
      .getResult(0);
}

static void rewrite(AttentionOp op, const TilePlan &p) {
  OpBuilder rewriter(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  Type f32 = rewriter.getF32Type();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  int64_t G = p.group, Br = p.positions, R = p.rows, Bc = p.keys;
  int64_t D = p.headDim, V = p.valueDim;
  bool causal = op.getCausal();
  std::optional<int64_t> window;
  if (auto w = op.getWindowAttr())
    window = w.getInt();
  std::optional<double> softcap;
  if (auto c = op.getSoftcapAttr())
    softcap = c.getValueAsDouble();

  Value batch = dimSize(rewriter, loc, q, 0);
  Value tq = dimSize(rewriter, loc, q, 1);
  Value tk = dimSize(rewriter, loc, k, 1);
  Value cBr = indexConst(rewriter, loc, Br);
  Value numTiles = arith::CeilDivUIOp::create(rewriter, loc, tq, cBr);
  // δ = Tk − Tq aligns the causal mask to the bottom-right corner.
  Value delta = arith::SubIOp::create(rewriter, loc, tk, tq);
  SmallVector<Value> dynamic;
  if (resultType.isDynamicDim(0))
    dynamic.push_back(batch);
  if (resultType.isDynamicDim(1))
    dynamic.push_back(tq);
  Value out = tensor::EmptyOp::create(rewriter, loc, resultType, dynamic);

  auto body = [&](OpBuilder &b, Location loc, ValueRange args) {
    Value bi = args[0], hk = args[1], n = args[2], shared = args[3];
    Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
    Value two = indexConst(b, loc, 2);
    Value cG = indexConst(b, loc, G), cBc = indexConst(b, loc, Bc);
    Value pad = f32Const(b, loc, 0.0);
    auto rowType = VectorType::get({R}, f32);
    auto outRowType = VectorType::get({V}, f32);

    // Zigzag order (0, N−1, 1, N−2, ...): causal tiles cost in proportion to
    // their index, so any run of consecutive iterations — what a static
    // OpenMP schedule hands a thread — has about the average cost.
    Value half = arith::DivUIOp::create(b, loc, n, two);
    Value even =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                              arith::RemUIOp::create(b, loc, n, two), zero);
    Value mirrored = arith::SubIOp::create(
        b, loc, arith::SubIOp::create(b, loc, numTiles, one), half);
    Value tile = arith::SelectOp::create(b, loc, even, half, mirrored);
    Value i0 = arith::MulIOp::create(b, loc, tile, cBr);
    Value len = arith::MinUIOp::create(b, loc, cBr,
                                       arith::SubIOp::create(b, loc, tq, i0));
    Value h0 = arith::MulIOp::create(b, loc, hk, cG);

    // Qᵀ, scaled: [D, R], column g · Br + r = scale · q[bi, i0 + r, h0 + g].
    Value scale = f32Const(b, loc, p.scale);
    Value qt = zeros(b, loc, {D, R});
    qt = scf::ForOp::create(
             b, loc, zero, cG, one, ValueRange{qt},
             [&](OpBuilder &b, Location loc, Value g, ValueRange acc) {
               Value h = arith::AddIOp::create(b, loc, h0, g);
               Value col0 = arith::MulIOp::create(b, loc, g, cBr);
               auto rows = scf::ForOp::create(
                   b, loc, zero, len, one, ValueRange{acc[0]},
                   [&](OpBuilder &b, Location loc, Value r, ValueRange acc) {
                     Value t = arith::AddIOp::create(b, loc, i0, r);
                     Value col = arith::AddIOp::create(b, loc, col0, r);
                     auto dims = scf::ForOp::create(
                         b, loc, zero, indexConst(b, loc, D), one,
                         ValueRange{acc[0]},
                         [&](OpBuilder &b, Location loc, Value d,
                             ValueRange acc) {
                           Value x = tensor::ExtractOp::create(
                               b, loc, q, ValueRange{bi, t, h, d});
                           Value scaled =
                               arith::MulFOp::create(b, loc, x, scale);
                           Value next = tensor::InsertOp::create(
                               b, loc, scaled, acc[0], ValueRange{d, col});
                           scf::YieldOp::create(b, loc, next);
                         });
                     scf::YieldOp::create(b, loc, dims.getResults());
                   });
               scf::YieldOp::create(b, loc, rows.getResults());
             })
             .getResult(0);

    // Each row's query position i + δ, as i64 lanes (row g · Br + r: i0 + r).
    SmallVector<int64_t> lanes;
    for (int64_t row = 0; row < R; ++row)
      lanes.push_back(row % Br);
    auto posType = VectorType::get({R}, b.getI64Type());
    Value laneOffsets = arith::ConstantOp::create(
        b, loc, DenseIntElementsAttr::get(posType, lanes));
    Value first = arith::AddIOp::create(b, loc, i0, delta);
    Value position = arith::AddIOp::create(
        b, loc,
        splat(b, loc, posType,
              arith::IndexCastOp::create(b, loc, b.getI64Type(), first)),
        laneOffsets);

    // The key tiles any row of this tile may see. Causal: keys ≤ the last
    // row's position; window: keys > the first row's position − w.
    Value last = arith::SubIOp::create(
        b, loc, arith::AddIOp::create(b, loc, first, len), one);
    Value keyEnd = tk;
    if (causal)
      keyEnd = arith::MaxSIOp::create(
          b, loc, zero,
          arith::MinSIOp::create(b, loc, tk,
                                 arith::AddIOp::create(b, loc, last, one)));
    Value keyBegin = zero;
    if (window)
      keyBegin = arith::MaxSIOp::create(
          b, loc, zero,
          arith::SubIOp::create(b, loc,
                                arith::AddIOp::create(b, loc, first, one),
                                indexConst(b, loc, *window)));
    Value tileBegin = arith::DivUIOp::create(b, loc, keyBegin, cBc);
    Value tileEnd = arith::CeilDivUIOp::create(b, loc, keyEnd, cBc);

    // Initial statistics: a sink is a key with logit σ_h and value 0.
    Value m0, l0;
    if (Value sinks = op.getSinks()) {
      Value perRow = tensor::EmptyOp::create(b, loc, {R}, f32);
      perRow = scf::ForOp::create(
                   b, loc, zero, indexConst(b, loc, R), one, ValueRange{perRow},
                   [&](OpBuilder &b, Location loc, Value r, ValueRange acc) {
                     Value h = arith::AddIOp::create(
                         b, loc, h0, arith::DivUIOp::create(b, loc, r, cBr));
                     Value s = tensor::ExtractOp::create(b, loc, sinks, h);
                     Value next =
                         tensor::InsertOp::create(b, loc, s, acc[0], r);
                     scf::YieldOp::create(b, loc, next);
                   })
                   .getResult(0);
      m0 = vector::TransferReadOp::create(
          b, loc, rowType, perRow, ValueRange{zero}, pad, ArrayRef<bool>{true});
      l0 = splat(b, loc, rowType, f32Const(b, loc, 1.0));
    } else {
      m0 = splat(b, loc, rowType,
                 f32Const(b, loc, -std::numeric_limits<double>::infinity()));
      l0 = splat(b, loc, rowType, pad);
    }
    Value o0 = zeros(b, loc, {R, V});

    auto keyLoop = scf::ForOp::create(
        b, loc, tileBegin, tileEnd, one, ValueRange{o0, m0, l0},
        [&](OpBuilder &b, Location loc, Value jt, ValueRange acc) {
          Value j0 = arith::MulIOp::create(b, loc, jt, cBc);
          Value count = arith::MinUIOp::create(
              b, loc, cBc, arith::SubIOp::create(b, loc, tk, j0));
          // K and V tiles, zero rows past the end of the keys.
          Value kTile = copyRows(b, loc, k, bi, hk, j0, count, Bc);
          Value vTile = copyRows(b, loc, v, bi, hk, j0, count, Bc);
          Value scores = matmul(b, loc, kTile, qt, zeros(b, loc, {Bc, R}),
                                map(ctx, {0, 2}), map(ctx, {2, 1}));

          // Only tiles that cross the band's edges or the end are masked.
          Value jEnd = arith::AddIOp::create(b, loc, j0, cBc);
          Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                             jEnd, tk);
          if (causal)
            full = arith::AndIOp::create(
                b, loc, full,
                arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::sle, jEnd,
                    arith::AddIOp::create(b, loc, first, one)));
          if (window)
            full = arith::AndIOp::create(
                b, loc, full,
                arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::sgt, j0,
                    arith::SubIOp::create(b, loc, last,
                                          indexConst(b, loc, *window))));
          TileContext t{p, softcap, causal, window, j0, tk, position};
          auto branch = [&](bool masked) {
            return [&, masked](OpBuilder &b, Location loc) {
              scf::YieldOp::create(
                  b, loc,
                  softmaxTile(b, loc, t, scores, acc[1], acc[2], masked));
            };
          };
          auto update =
              scf::IfOp::create(b, loc, full, branch(false), branch(true));
          update->setAttr("hymir.attention_mask", b.getUnitAttr());
          Value probs = update.getResult(0);
          Value corr = update.getResult(3);

          // O ← diag(corr) O, row by row (corr through a [R] buffer).
          Value corrs =
              vector::TransferWriteOp::create(
                  b, loc, corr, tensor::EmptyOp::create(b, loc, {R}, f32),
                  ValueRange{zero}, ArrayRef<bool>{true})
                  .getResult();
          Value o =
              scf::ForOp::create(
                  b, loc, zero, indexConst(b, loc, R), one, ValueRange{acc[0]},
                  [&](OpBuilder &b, Location loc, Value r, ValueRange acc) {
                    Value c = tensor::ExtractOp::create(b, loc, corrs, r);
                    Value row = vector::TransferReadOp::create(
                        b, loc, outRowType, acc[0], ValueRange{r, zero}, pad,
                        ArrayRef<bool>{true});
                    Value scaled = arith::MulFOp::create(
                        b, loc, row, splat(b, loc, outRowType, c));
                    Value next = vector::TransferWriteOp::create(
                                     b, loc, scaled, acc[0],
                                     ValueRange{r, zero}, ArrayRef<bool>{true})
                                     .getResult();
                    scf::YieldOp::create(b, loc, next);
                  })
                  .getResult(0);
          // O += P V (P read through its transpose Pᵀ [Bc, R]).
          o = matmul(b, loc, probs, vTile, o, map(ctx, {2, 0}),
                     map(ctx, {2, 1}));
          scf::YieldOp::create(
              b, loc, ValueRange{o, update.getResult(1), update.getResult(2)});
        });
    keyLoop->setAttr("hymir.attention_key_tiles", b.getUnitAttr());
    Value o = keyLoop.getResult(0), l = keyLoop.getResult(2);

    // o = O / l; a row without any allowed key (l = 0) is 0.
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                           splat(b, loc, rowType, pad));
    Value inv = arith::SelectOp::create(
        b, loc, positive,
        arith::DivFOp::create(b, loc,
                              splat(b, loc, rowType, f32Const(b, loc, 1.0)), l),
        splat(b, loc, rowType, pad));
    Value invs = vector::TransferWriteOp::create(
                     b, loc, inv, tensor::EmptyOp::create(b, loc, {R}, f32),
                     ValueRange{zero}, ArrayRef<bool>{true})
                     .getResult();

    // out[bi, i0 : i0 + len, h0 : h0 + G, :], as [len, G, V].
    SmallVector<OpFoldResult> offsets{bi, i0, h0, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), len, b.getIndexAttr(G),
                                    b.getIndexAttr(V)};
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    auto slabType = RankedTensorType::get({ShapedType::kDynamic, G, V}, f32);
    Value slab = tensor::ExtractSliceOp::create(b, loc, slabType, shared,
                                                offsets, sizes, strides);
    slab = scf::ForOp::create(
               b, loc, zero, cG, one, ValueRange{slab},
               [&](OpBuilder &b, Location loc, Value g, ValueRange acc) {
                 Value row0 = arith::MulIOp::create(b, loc, g, cBr);
                 auto rows = scf::ForOp::create(
                     b, loc, zero, len, one, ValueRange{acc[0]},
                     [&](OpBuilder &b, Location loc, Value r, ValueRange acc) {
                       Value row = arith::AddIOp::create(b, loc, row0, r);
                       Value x = vector::TransferReadOp::create(
                           b, loc, outRowType, o, ValueRange{row, zero}, pad,
                           ArrayRef<bool>{true});
                       Value s = tensor::ExtractOp::create(b, loc, invs, row);
                       Value y = arith::MulFOp::create(
                           b, loc, x, splat(b, loc, outRowType, s));
                       Value next =
                           vector::TransferWriteOp::create(
                               b, loc, y, acc[0], ValueRange{r, g, zero},
                               ArrayRef<bool>{true})
                               .getResult();
                       scf::YieldOp::create(b, loc, next);
                     });
                 scf::YieldOp::create(b, loc, rows.getResults());
               })
               .getResult(0);

    auto inParallel = scf::InParallelOp::create(b, loc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(inParallel.getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, slab, shared, offsets, sizes,
                                          strides);
  };

  SmallVector<OpFoldResult> ubs{batch, rewriter.getIndexAttr(p.kvHeads),
                                numTiles};
  auto forall = scf::ForallOp::create(rewriter, loc, ubs, ValueRange{out},
                                      /*mapping=*/std::nullopt, body);
  forall->setAttr("hymir.attention_tiles", rewriter.getUnitAttr());
  op.getResult().replaceAllUsesWith(forall.getResult(0));
  op->erase();
}

namespace {

struct TileAttentionPass
    : public hymir::impl::TileAttentionPassBase<TileAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (queryRows < 1 || keyTile < 1) {
      getOperation()->emitError(
          "hymir-tile-attention: query-rows and key-tile must be >= 1");
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops) {
      TilePlan plan;
      std::string why = analyze(op, queryRows, keyTile, plan);
      if (!why.empty()) {
        if (remarks)
          op.emitRemark("sequential fallback: ") << why;
        continue;
      }
      if (remarks)
        op.emitRemark("tiled (flash): ")
            << plan.group << " head(s) x " << plan.positions
            << " query positions = " << plan.rows << " rows per tile, "
            << plan.keys << " keys per tile";
      rewrite(op, plan);
      ++numTiled;
    }
    approximateExps();
  }

  /// The exponentials of the tiled form as polynomials that vectorize (a
  /// few ulp, far inside the 1e-4 tolerance), as hymir-chunk-scans does.
  void approximateExps() {
    if (failed(hymir::approximateTaggedExps(getOperation(),
                                            "hymir.attention_exp")))
      return signalPassFailure();
  }
};

} // namespace
