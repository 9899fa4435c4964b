//===- VectorizeProjections.cpp - hymir-vectorize-projections -------------===//
//
// Register-tiled vector code for the models' linear projections (see the pass
// description in Passes.td). `y[.., o] += x[.., i] * W[o, i]` with W stored
// [O, I] reads W down a column for a fixed i; left to convert-linalg-to-loops
// and LLVM, the i loop is unrolled and the o loop vectorized with gathers,
// re-storing y after every i (most of the tiny models' prefill time). A copy
// of W transposed once per call makes the o rows contiguous.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>

#define DEBUG_TYPE "hymir-vectorize-projections"

namespace hymir {
#define GEN_PASS_DEF_VECTORIZEPROJECTIONSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// Rows of x computed together: their accumulators are independent FMA
/// chains, and each W row loaded serves all of them.
constexpr int64_t kRowTile = 4;

/// A projection on buffers, W = [E.., O, I]. Its loops are the k row dims
/// of x, then either
///   (E.., o, i), y = [rows, E.., O], x = [rows, I]   (experts kept), or
///   (o, E.., i), y = [rows, O], x = [rows, E.., I]   (experts summed:
///   a dense MoE's down projection; E and i are the reductions).
struct Projection {
  linalg::LinalgOp op;
  Value x, w, y;
  unsigned numRowDims; // k
  bool sumExperts;
};

/// `y += a * b` with a, b the payload's inputs in either order and no
/// fast-math flags needed (the same rounding as the loops it replaces).
bool isMulAdd(Block &body) {
  if (body.getNumArguments() != 3)
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!yield || yield.getNumOperands() != 1 ||
      std::distance(body.begin(), body.end()) != 3)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if ((add.getLhs() == acc) == (add.getRhs() == acc))
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

/// Whether `map`'s results are exactly the loop dims `dims`.
bool hasDims(AffineMap map, ArrayRef<unsigned> dims) {
  if (map.getNumResults() != dims.size())
    return false;
  for (auto [expr, d] : llvm::zip(map.getResults(), dims))
    if (expr != getAffineDimExpr(d, map.getContext()))
      return false;
  return true;
}

std::optional<Projection> match(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !isMulAdd(*op.getBlock()))
    return std::nullopt;
  unsigned n = op.getNumLoops();
  if (n < 3)
    return std::nullopt;
  Projection p{op, op.getDpsInputs()[0], op.getDpsInputs()[1],
               op.getDpsInits()[0], 0, false};
  auto xType = dyn_cast<MemRefType>(p.x.getType());
  auto wType = dyn_cast<MemRefType>(p.w.getType());
  auto yType = dyn_cast<MemRefType>(p.y.getType());
  if (!xType || !wType || !yType || !xType.getElementType().isF32() ||
      !wType.getElementType().isF32() || !yType.getElementType().isF32())
    return std::nullopt;
  // W: static [E.., O, I] (a weight), read through any strides; y: the o
  // row contiguous (vector loads and stores).
  if (!wType.hasStaticShape() || wType.getRank() < 2)
    return std::nullopt;
  int64_t yOffset;
  SmallVector<int64_t> yStrides;
  if (failed(yType.getStridesAndOffset(yStrides, yOffset)) ||
      yStrides.back() != 1)
    return std::nullopt;
  unsigned numExperts = wType.getRank() - 2;
  // Experts summed: x has the expert dims, y does not.
  p.sumExperts = numExperts > 0 && yType.getRank() + numExperts + 1 == n;
  p.numRowDims = yType.getRank() - 1 - (p.sumExperts ? 0 : numExperts);
  unsigned k = p.numRowDims;
  if (k < 1 || k + wType.getRank() != n ||
      xType.getRank() != k + 1 + (p.sumExperts ? numExperts : 0))
    return std::nullopt;
  // Loop dims: rows 0..k-1, then o and the expert dims in the order of the
  // layout, i last.
  SmallVector<unsigned> experts;
  unsigned o;
  if (p.sumExperts) {
    o = k;
    for (unsigned d = k + 1; d + 1 < n; ++d)
      experts.push_back(d);
  } else {
    for (unsigned d = k; d + 2 < n; ++d)
      experts.push_back(d);
    o = n - 2;
  }
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < n; ++d) {
    bool reduction = d == n - 1 || (p.sumExperts && d != o && d >= k);
    if (iterators[d] != (reduction ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel))
      return std::nullopt;
  }
  SmallVector<unsigned> xDims, wDims, yDims;
  for (unsigned d = 0; d < k; ++d) {
    xDims.push_back(d);
    yDims.push_back(d);
  }
  if (p.sumExperts)
    xDims.append(experts.begin(), experts.end());
  else
    yDims.append(experts.begin(), experts.end());
  xDims.push_back(n - 1);
  yDims.push_back(o);
  wDims.append(experts.begin(), experts.end());
  wDims.push_back(o);
  wDims.push_back(n - 1);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!hasDims(maps[0], xDims) || !hasDims(maps[1], wDims) ||
      !hasDims(maps[2], yDims))
    return std::nullopt;
  return p;
}

/// Nested scf.for loops from 0 to `ubs` (step 1); `body` gets the induction
/// variables. No loops for an empty `ubs`.
void buildNest(OpBuilder &b, Location loc, ArrayRef<Value> ubs,
               function_ref<void(OpBuilder &, ValueRange)> body,
               SmallVector<Value> ivs = {}) {
  if (ivs.size() == ubs.size())
    return body(b, ivs);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  scf::ForOp::create(b, loc, zero, ubs[ivs.size()], one, ValueRange{},
                     [&](OpBuilder &nb, Location l, Value iv, ValueRange) {
                       SmallVector<Value> inner = ivs;
                       inner.push_back(iv);
                       buildNest(nb, l, ubs, body, inner);
                       scf::YieldOp::create(nb, l);
                     });
}

void rewrite(Projection p, int64_t width) {
  linalg::LinalgOp op = p.op;
  Location loc = op.getLoc();
  OpBuilder b(op);
  auto wType = cast<MemRefType>(p.w.getType());
  ArrayRef<int64_t> wShape = wType.getShape();
  unsigned numExpertDims = wType.getRank() - 2;
  int64_t numOut = wShape[wType.getRank() - 2];
  int64_t numIn = wShape.back();
  unsigned k = p.numRowDims;
  auto cst = [&](OpBuilder &ob, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(ob, loc, v);
  };

  // Versioned on the tiled (last) row dim: below one row tile (a decode
  // step) the transposed copy would cost as much as the product itself.
  Value rows = memref::DimOp::create(b, loc, p.x, k - 1);
  Value enough = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                       rows, cst(b, kRowTile));
  auto branch = scf::IfOp::create(b, loc, enough, /*withElseRegion=*/true);
  OpBuilder eb = OpBuilder::atBlockBegin(branch.elseBlock());
  eb.setInsertionPoint(branch.elseBlock()->getTerminator());
  eb.clone(*op.getOperation());

  OpBuilder tb(branch.thenBlock()->getTerminator());
  // Wt[e.., i, o] = W[e.., o, i], once per call (the weights are the
  // caller's to fill, so not at compile time).
  SmallVector<int64_t> tShape(wShape.begin(), wShape.end());
  std::swap(tShape[tShape.size() - 1], tShape[tShape.size() - 2]);
  auto tType = MemRefType::get(tShape, b.getF32Type());
  Value wt = memref::AllocOp::create(tb, loc, tType, tb.getI64IntegerAttr(64));
  SmallVector<Value> wUbs;
  for (int64_t s : wShape)
    wUbs.push_back(cst(tb, s));
  buildNest(tb, loc, wUbs, [&](OpBuilder &nb, ValueRange ivs) {
    Value v = memref::LoadOp::create(nb, loc, p.w, ivs);
    SmallVector<Value> t(ivs.begin(), ivs.end());
    std::swap(t[t.size() - 1], t[t.size() - 2]);
    memref::StoreOp::create(nb, loc, v, wt, t);
  });

  // Leading row dims and expert dims: plain loops. Last row dim: tiles of
  // kRowTile rows, then single rows.
  SmallVector<Value> outerUbs;
  for (unsigned d = 0; d + 1 < k; ++d)
    outerUbs.push_back(memref::DimOp::create(tb, loc, p.x, d));
  auto emitRows = [&](OpBuilder &rb, ValueRange lead, Value row0,
                      int64_t numRows) {
    SmallVector<Value> expertUbs;
    for (unsigned d = 0; d < numExpertDims; ++d)
      expertUbs.push_back(cst(rb, wShape[d]));
    // Kept experts: a loop around the blocks; summed ones: inside the sum.
    ArrayRef<Value> outerExperts =
        p.sumExperts ? ArrayRef<Value>() : ArrayRef<Value>(expertUbs);
    buildNest(rb, loc, outerExperts, [&](OpBuilder &eb2, ValueRange experts) {
      // One block of `vw` outputs at `o0` for the rows row0 .. + numRows.
      auto emitBlock = [&](OpBuilder &ob, Value o0, int64_t vw) {
        auto vType = VectorType::get({vw}, ob.getF32Type());
        SmallVector<SmallVector<Value>> yIdx, xIdx;
        SmallVector<Value> accs;
        for (int64_t r = 0; r < numRows; ++r) {
          Value row = r == 0 ? row0
                             : arith::AddIOp::create(ob, loc, row0, cst(ob, r))
                                   .getResult();
          SmallVector<Value> xi(lead.begin(), lead.end());
          xi.push_back(row);
          SmallVector<Value> yi = xi;
          yi.append(experts.begin(), experts.end());
          yi.push_back(o0);
          accs.push_back(vector::LoadOp::create(ob, loc, vType, p.y, yi));
          yIdx.push_back(yi);
          xIdx.push_back(xi);
        }
        // The sum over (summed experts.., i), in the order of the loops it
        // replaces; `ivs` are the induction variables so far.
        std::function<ValueRange(OpBuilder &, ValueRange, SmallVector<Value>)>
            sum = [&](OpBuilder &sb, ValueRange init,
                      SmallVector<Value> ivs) -> ValueRange {
          if (p.sumExperts && ivs.size() < numExpertDims)
            return scf::ForOp::create(
                       sb, loc, cst(sb, 0), expertUbs[ivs.size()], cst(sb, 1),
                       init,
                       [&](OpBuilder &nb, Location l, Value e, ValueRange it) {
                         SmallVector<Value> inner = ivs;
                         inner.push_back(e);
                         scf::YieldOp::create(nb, l, sum(nb, it, inner));
                       })
                .getResults();
          return scf::ForOp::create(
                     sb, loc, cst(sb, 0), cst(sb, numIn), cst(sb, 1), init,
                     [&](OpBuilder &lb, Location l, Value i, ValueRange iter) {
              SmallVector<Value> ti(experts.begin(), experts.end());
              ti.append(ivs.begin(), ivs.end());
              ti.push_back(i);
              ti.push_back(o0);
              Value wv = vector::LoadOp::create(lb, l, vType, wt, ti);
              SmallVector<Value> next;
              for (int64_t r = 0; r < numRows; ++r) {
                SmallVector<Value> xi = xIdx[r];
                xi.append(ivs.begin(), ivs.end());
                xi.push_back(i);
                Value xs = memref::LoadOp::create(lb, l, p.x, xi);
                Value xv = vector::BroadcastOp::create(lb, l, vType, xs);
                // mul then add, unfused: the rounding of the loops this
                // replaces (results stay bit-identical).
                Value prod = arith::MulFOp::create(lb, l, xv, wv);
                next.push_back(arith::AddFOp::create(lb, l, iter[r], prod));
              }
              scf::YieldOp::create(lb, l, next);
                     })
              .getResults();
        };
        ValueRange sums = sum(ob, accs, {});
        for (int64_t r = 0; r < numRows; ++r)
          vector::StoreOp::create(ob, loc, sums[r], p.y, yIdx[r]);
      };
      int64_t full = numOut / width * width;
      if (full > 0)
        scf::ForOp::create(eb2, loc, cst(eb2, 0), cst(eb2, full),
                           cst(eb2, width), ValueRange{},
                           [&](OpBuilder &ob, Location l, Value o0,
                               ValueRange) {
                             emitBlock(ob, o0, width);
                             scf::YieldOp::create(ob, l);
                           });
      if (numOut > full)
        emitBlock(eb2, cst(eb2, full), numOut - full);
    });
  };
  buildNest(tb, loc, outerUbs, [&](OpBuilder &nb, ValueRange lead) {
    Value size = memref::DimOp::create(nb, loc, p.x, k - 1);
    Value tiled = arith::MulIOp::create(
        nb, loc,
        arith::DivUIOp::create(nb, loc, size, cst(nb, kRowTile)).getResult(),
        cst(nb, kRowTile));
    scf::ForOp::create(nb, loc, cst(nb, 0), tiled, cst(nb, kRowTile),
                       ValueRange{},
                       [&](OpBuilder &rb, Location l, Value row0, ValueRange) {
                         emitRows(rb, lead, row0, kRowTile);
                         scf::YieldOp::create(rb, l);
                       });
    scf::ForOp::create(nb, loc, tiled, size, cst(nb, 1), ValueRange{},
                       [&](OpBuilder &rb, Location l, Value row, ValueRange) {
                         emitRows(rb, lead, row, 1);
                         scf::YieldOp::create(rb, l);
                       });
  });
  memref::DeallocOp::create(tb, loc, wt);
  op->erase();
}

struct VectorizeProjectionsPass
    : public hymir::impl::VectorizeProjectionsPassBase<
          VectorizeProjectionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (width < 1) {
      getOperation().emitError("hymir-vectorize-projections: width must be "
                               "positive, not ")
          << width;
      return signalPassFailure();
    }
    SmallVector<Projection> found;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (auto p = match(op))
        found.push_back(*p);
    });
    for (Projection &p : found)
      rewrite(p, width);
  }
};

} // namespace
