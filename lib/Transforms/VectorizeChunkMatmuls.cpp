//===- VectorizeChunkMatmuls.cpp - hymir-vectorize-chunk-matmuls ----------===//
//
// Register-tiled vector code for the matrix products of the chunked scans
// (see the pass description in Passes.td). Each `hymir.chunk_matmul` generic
// `C[i, j] += Σ_r A(i, r) · B[r, j]` becomes, on tensors,
//
//   scf.for i0 step MR, scf.for j0 step NR:         (an MR × NR output tile)
//     acc[0..MR) = C[i0 + m, j0 : j0 + NR]           (vector<NR>, registers)
//     scf.for r:  b = B[r, j0 : j0 + NR]
//                 acc[m] = fma(broadcast A(i0 + m, r), b, acc[m])
//     C[i0 + m, j0 : j0 + NR] = acc[m]
//
// so that the accumulators stay in registers for the whole reduction: per
// step of r, one vector load of B and MR broadcasts feed MR vector FMAs.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/ChunkProduct.h"
#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#define DEBUG_TYPE "hymir-vectorize-chunk-matmuls"

namespace hymir {
#define GEN_PASS_DEF_VECTORIZECHUNKMATMULSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

using Product = hymir::ChunkProduct;

/// A product on tensors (the CPU pipeline vectorizes before bufferization).
static FailureOr<Product> recognise(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics())
    return failure();
  return hymir::recogniseChunkProduct(op);
}

static int64_t largestDivisor(int64_t n, ArrayRef<int64_t> candidates) {
  for (int64_t c : candidates)
    if (n % c == 0)
      return c;
  return 1;
}

static Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// `src` [rows, cols] transposed to [cols, rows]. Full 16 × 16 blocks go
/// through registers: 16 row loads, four rounds of interleaving shuffles
/// (row e with row e + 8: after log2(16) perfect shuffles the rows are the
/// columns) and 16 row stores, instead of the element loop that LLVM turns
/// into gathers. Other shapes keep linalg.transpose.
static Value transposed(OpBuilder &b, Location loc, Value src, int64_t rows,
                        int64_t cols) {
  constexpr int64_t kBlock = 16;
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(b, loc, {cols, rows}, f32);
  if (rows % kBlock != 0 || cols % kBlock != 0)
    return linalg::TransposeOp::create(b, loc, src, empty,
                                       ArrayRef<int64_t>{1, 0})
        .getResult()[0];
  auto vecType = VectorType::get({kBlock}, f32);
  SmallVector<int64_t> lo, hi;
  for (int64_t e = 0; e < kBlock / 2; ++e) {
    lo.append({e, e + kBlock});
    hi.append({e + kBlock / 2, e + kBlock / 2 + kBlock});
  }
  Value zero = cst(b, loc, 0), step = cst(b, loc, kBlock);
  Value rowEnd = cst(b, loc, rows), colEnd = cst(b, loc, cols);
  SmallVector<Value> offsets;
  for (int64_t m = 0; m < kBlock; ++m)
    offsets.push_back(cst(b, loc, m));
  Value pad = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  auto at = [&](OpBuilder &b, Location loc, Value base, int64_t m) -> Value {
    return m == 0 ? base
                  : arith::AddIOp::create(b, loc, base, offsets[m]).getResult();
  };
  auto blockRows = scf::ForOp::create(
      b, loc, zero, rowEnd, step, ValueRange{empty},
      [&](OpBuilder &b, Location loc, Value i0, ValueRange outer) {
        auto blockCols = scf::ForOp::create(
            b, loc, zero, colEnd, step, ValueRange{outer[0]},
            [&](OpBuilder &b, Location loc, Value j0, ValueRange inner) {
              SmallVector<Value> v;
              for (int64_t m = 0; m < kBlock; ++m)
                v.push_back(vector::TransferReadOp::create(
                    b, loc, vecType, src, ValueRange{at(b, loc, i0, m), j0},
                    pad, ArrayRef<bool>{true}));
              for (int64_t round = 1; round < kBlock; round *= 2) {
                SmallVector<Value> next;
                for (int64_t e = 0; e < kBlock / 2; ++e) {
                  next.push_back(vector::ShuffleOp::create(
                      b, loc, v[e], v[e + kBlock / 2], lo));
                  next.push_back(vector::ShuffleOp::create(
                      b, loc, v[e], v[e + kBlock / 2], hi));
                }
                v = std::move(next);
              }
              Value out = inner[0];
              for (int64_t m = 0; m < kBlock; ++m)
                out = vector::TransferWriteOp::create(
                          b, loc, v[m], out, ValueRange{at(b, loc, j0, m), i0},
                          ArrayRef<bool>{true})
                          .getResult();
              scf::YieldOp::create(b, loc, out);
            });
        scf::YieldOp::create(b, loc, blockCols.getResults());
      });
  return blockRows.getResult(0);
}

/// The scaling of the accumulator before the product: the chunk's state
/// decay `C[i, j] = C0[i, j] · s` with `s` a scalar from outside or a row
/// `s[i]`. Folded into the tiles' accumulator loads it saves a pass over
/// the state per chunk.
struct InitScale {
  linalg::GenericOp op;
  Value source;        // C0
  Value scalar;        // s, or null
  Value rows;          // s[i], or null
};

static std::optional<InitScale> initScale(Value init) {
  auto op = init.getDefiningOp<linalg::GenericOp>();
  if (!op || !op->hasOneUse() || !op.hasPureTensorSemantics() ||
      op.getNumDpsInits() != 1 || op.getNumDpsInputs() > 1 ||
      op.getNumLoops() != 2 || op.getNumParallelLoops() != 2 ||
      !op.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto mul = yield.getValues().front().getDefiningOp<arith::MulFOp>();
  if (!mul || &body->front() != mul.getOperation())
    return std::nullopt;
  Value out = body->getArguments().back();
  Value factor = mul.getLhs() == out   ? mul.getRhs()
                 : mul.getRhs() == out ? mul.getLhs()
                                       : Value();
  if (!factor)
    return std::nullopt;
  InitScale scale{op, op.getDpsInits()[0], Value(), Value()};
  if (auto arg = dyn_cast<BlockArgument>(factor);
      arg && arg.getOwner() == body) {
    MLIRContext *ctx = op.getContext();
    if (op.getNumDpsInputs() != 1 || arg.getArgNumber() != 0 ||
        op.getIndexingMapsArray()[0] !=
            AffineMap::get(2, 0, getAffineDimExpr(0, ctx)))
      return std::nullopt;
    scale.rows = op.getDpsInputs()[0];
  } else if (!op->isAncestor(factor.getParentBlock()->getParentOp())) {
    scale.scalar = factor;
  } else {
    return std::nullopt;
  }
  return scale;
}

static void rewrite(linalg::GenericOp op, const Product &p, int64_t maxRows,
                    int64_t maxCols) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  Type f32 = b.getF32Type();
  // Every tile is written (no skipped tiles above the diagonal), so the
  // scaling can move into the accumulator loads.
  std::optional<InitScale> scale;
  if (!op->hasAttr("hymir.lower_triangular_result"))
    scale = initScale(init);
  if (scale)
    init = scale->source;

  // B with contiguous rows along j.
  if (p.rhsTransposed)
    rhs = transposed(b, loc, rhs, p.N, p.R);

  SmallVector<int64_t> rowChoices, colChoices;
  for (int64_t c : {8, 6, 4, 2, 1})
    if (c <= maxRows)
      rowChoices.push_back(c);
  for (int64_t c : {32, 16, 8, 4, 2, 1})
    if (c <= maxCols)
      colChoices.push_back(c);
  int64_t MR = largestDivisor(p.M, rowChoices);
  int64_t NR = largestDivisor(p.N, colChoices);
  auto vecType = VectorType::get({NR}, f32);
  // Entries of A above the diagonal are zero (r > i): stop the reduction at
  // the tile's last row. Entries of C above the diagonal (j > i) are not
  // needed: skip the tiles entirely above it.
  bool lowerLhs = op->hasAttr("hymir.lower_triangular_lhs");
  bool lowerOut = op->hasAttr("hymir.lower_triangular_result");

  // Index constants, created once before the loops.
  Value zero = cst(b, loc, 0), one = cst(b, loc, 1);
  Value cM = cst(b, loc, p.M), cN = cst(b, loc, p.N), cR = cst(b, loc, p.R);
  Value cMR = cst(b, loc, MR), cNR = cst(b, loc, NR);
  SmallVector<Value> rowOffsets{zero};
  for (int64_t m = 1; m < MR; ++m)
    rowOffsets.push_back(cst(b, loc, m));
  Value pad = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  auto rows = scf::ForOp::create(
      b, loc, zero, cM, cMR, ValueRange{init},
      [&](OpBuilder &b, Location loc, Value i0, ValueRange outer) {
        Value colEnd = cN;
        if (lowerOut) {
          // min(N, ceil((i0 + MR) / NR) · NR)
          Value end = arith::AddIOp::create(b, loc, i0, cMR);
          Value tiles = arith::CeilDivUIOp::create(b, loc, end, cNR);
          Value aligned = arith::MulIOp::create(b, loc, tiles, cNR);
          colEnd = arith::MinUIOp::create(b, loc, aligned, colEnd);
        }
        auto cols = scf::ForOp::create(
            b, loc, zero, colEnd, cNR, ValueRange{outer[0]},
            [&](OpBuilder &b, Location loc, Value j0, ValueRange inner) {
              SmallVector<Value> rowIndex;
              for (int64_t m = 0; m < MR; ++m)
                rowIndex.push_back(m == 0 ? i0
                                          : arith::AddIOp::create(
                                                b, loc, i0, rowOffsets[m])
                                                .getResult());
              SmallVector<Value> accs;
              for (int64_t m = 0; m < MR; ++m) {
                Value acc = vector::TransferReadOp::create(
                    b, loc, vecType, inner[0], ValueRange{rowIndex[m], j0},
                    pad, ArrayRef<bool>{true});
                if (scale) {
                  Value factor =
                      scale->scalar
                          ? scale->scalar
                          : tensor::ExtractOp::create(b, loc, scale->rows,
                                                      rowIndex[m])
                                .getResult();
                  acc = arith::MulFOp::create(
                      b, loc, acc,
                      vector::BroadcastOp::create(b, loc, vecType, factor));
                }
                accs.push_back(acc);
              }
              Value reduceEnd = cR;
              if (lowerLhs) {
                Value end = arith::AddIOp::create(b, loc, i0, cMR);
                reduceEnd = arith::MinUIOp::create(b, loc, end, reduceEnd);
              }
              auto reduce = scf::ForOp::create(
                  b, loc, zero, reduceEnd, one, accs,
                  [&](OpBuilder &b, Location loc, Value r, ValueRange acc) {
                    Value bRow = vector::TransferReadOp::create(
                        b, loc, vecType, rhs, ValueRange{r, j0}, pad,
                        ArrayRef<bool>{true});
                    SmallVector<Value> next;
                    for (int64_t m = 0; m < MR; ++m) {
                      SmallVector<Value> at{rowIndex[m], r};
                      if (p.lhsTransposed)
                        std::swap(at[0], at[1]);
                      Value a = tensor::ExtractOp::create(b, loc, lhs, at);
                      Value splat = vector::BroadcastOp::create(b, loc,
                                                                vecType, a);
                      next.push_back(
                          vector::FMAOp::create(b, loc, splat, bRow, acc[m]));
                    }
                    scf::YieldOp::create(b, loc, next);
                  });
              Value out = inner[0];
              for (int64_t m = 0; m < MR; ++m)
                out = vector::TransferWriteOp::create(
                          b, loc, reduce.getResult(m), out,
                          ValueRange{rowIndex[m], j0}, ArrayRef<bool>{true})
                          .getResult();
              scf::YieldOp::create(b, loc, out);
            });
        scf::YieldOp::create(b, loc, cols.getResults());
      });
  // hymir-prefetch-chunk-rows spreads the next chunk's prefetches over the
  // iterations of these loops, where the FMAs hide them.
  rows->setAttr("hymir.chunk_tiles", b.getUnitAttr());
  op->replaceAllUsesWith(rows.getResults());
  op->erase();
  if (scale)
    scale->op->erase();
}

struct VectorizeChunkMatmulsPass
    : public hymir::impl::VectorizeChunkMatmulsPassBase<
          VectorizeChunkMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> products;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->hasAttr("hymir.chunk_matmul"))
        products.push_back(op);
    });
    for (linalg::GenericOp op : products) {
      FailureOr<Product> p = recognise(op);
      if (failed(p))
        continue; // stays a generic: convert-linalg-to-loops lowers it
      rewrite(op, *p, tileRows, tileCols);
      ++numVectorized;
    }
  }
};

} // namespace
