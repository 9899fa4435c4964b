//===- PrefetchChunkRows.cpp - hymir-prefetch-chunk-rows ------------------===//
//
// Software prefetch of the chunked scans' rows (see the pass description in
// Passes.td). A step of the prepare loop reads one row of each input, rows
// one (batch · heads · dim) stride apart: 8 KiB at H = 16, D = 128, more than
// the hardware prefetchers follow across pages, so every row is a cache miss
// the prepare loop waits for; the copy-out stores output rows as far apart.
// The next chunk's input rows and this chunk's output rows are prefetched
// from the products' tile loops, a few rows per iteration, so that memory
// works while the FMAs do.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define DEBUG_TYPE "hymir-prefetch-chunk-rows"

namespace hymir {
#define GEN_PASS_DEF_PREFETCHCHUNKROWSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// Elements per cache line of f32 (64 bytes on x86-64 and AArch64).
constexpr int64_t kLineElements = 16;

/// The elements of a row of `size` f32 whose lines to prefetch: one per
/// 64 bytes from the first, and the last element. Rows need not start on a
/// line (a malloc'd input is 16-byte aligned): a 512-byte row then spans
/// nine lines, and the ninth would miss.
static SmallVector<int64_t> lineStarts(int64_t size) {
  SmallVector<int64_t> starts;
  for (int64_t e = 0; e < size; e += kLineElements)
    starts.push_back(e);
  if ((size - 1) % kLineElements != 0)
    starts.push_back(size - 1);
  return starts;
}

/// The ops of `body` that `values` depend on, in block order; false when one
/// of them has side effects (then they cannot be cloned ahead).
static bool sliceInBody(ArrayRef<Value> values, Block *body,
                        SetVector<Operation *> &slice) {
  BackwardSliceOptions options;
  options.omitBlockArguments = true;
  options.filter = [&](Operation *op) { return op->getBlock() == body; };
  for (Value v : values)
    if (Operation *def = v.getDefiningOp(); def && def->getBlock() == body)
      if (failed(getBackwardSlice(def, &slice, options)))
        return false;
  for (Value v : values)
    if (Operation *def = v.getDefiningOp(); def && def->getBlock() == body)
      slice.insert(def);
  if (llvm::any_of(slice, [](Operation *op) { return !isPure(op); }))
    return false;
  SmallVector<Operation *> sorted(slice.begin(), slice.end());
  llvm::sort(sorted, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  slice.clear();
  slice.insert(sorted.begin(), sorted.end());
  return true;
}

/// Whether `v` depends on the induction variable `iv` through `slice`.
static bool dependsOn(Value v, Value iv, const SetVector<Operation *> &slice) {
  if (v == iv)
    return true;
  Operation *def = v.getDefiningOp();
  if (!def || !slice.contains(def))
    return false;
  return llvm::any_of(def->getOperands(),
                      [&](Value o) { return dependsOn(o, iv, slice); });
}

/// The static trip count of `loop`, if any.
static std::optional<int64_t> tripCount(scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()),
                         ub = getConstantIntValue(loop.getUpperBound()),
                         step = getConstantIntValue(loop.getStep());
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return *ub > *lb ? (*ub - *lb + *step - 1) / *step : 0;
}

/// The loops that host the prefetches of `prepare`'s rows: the register
/// tiles' row loops of the chunk's products (`hymir.chunk_tiles`, from
/// hymir-vectorize-chunk-matmuls) that follow it in its block, with their
/// static trip counts.
static SmallVector<std::pair<scf::ForOp, int64_t>>
hostLoops(scf::ForOp prepare) {
  SmallVector<std::pair<scf::ForOp, int64_t>> hosts;
  for (Operation *op = prepare->getNextNode(); op; op = op->getNextNode()) {
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop || !loop->hasAttr("hymir.chunk_tiles"))
      continue;
    if (std::optional<int64_t> n = tripCount(loop); n && *n > 0)
      hosts.push_back({loop, *n});
  }
  return hosts;
}

/// Prefetches, at `b`, every line of the rows that the prepare step `step`
/// reads: `rows` with the prepare loop's induction variable `iv` mapped to
/// `step` through the ops of `slice`; offsets that move with the step are
/// clamped to the buffer's last row.
static void emitPrefetches(OpBuilder &b, Location loc, Value iv, Value step,
                           ArrayRef<Operation *> slice,
                           ArrayRef<memref::SubViewOp> rows) {
  IRMapping mapping;
  mapping.map(iv, step);
  for (Operation *op : slice)
    b.clone(*op, mapping);
  SetVector<Operation *> sliceSet(slice.begin(), slice.end());
  for (memref::SubViewOp row : rows) {
    SmallVector<OpFoldResult> offsets;
    bool ok = true;
    for (auto [d, offset] : llvm::enumerate(row.getMixedOffsets())) {
      auto value = dyn_cast<Value>(offset);
      if (!value || !dependsOn(value, iv, sliceSet)) {
        offsets.push_back(offset);
        continue;
      }
      std::optional<int64_t> size = getConstantIntValue(row.getMixedSizes()[d]);
      if (!size) {
        ok = false;
        break;
      }
      Value extent = memref::DimOp::create(b, loc, row.getSource(), d);
      Value last = arith::SubIOp::create(
          b, loc, extent, arith::ConstantIndexOp::create(b, loc, *size));
      offsets.push_back(
          arith::MinSIOp::create(b, loc, mapping.lookupOrDefault(value), last)
              .getResult());
    }
    if (!ok)
      continue;
    Value next = memref::SubViewOp::create(b, loc, row.getType(),
                                           row.getSource(), offsets,
                                           row.getMixedSizes(),
                                           row.getMixedStrides());
    for (int64_t e : lineStarts(row.getType().getDimSize(0)))
      memref::PrefetchOp::create(
          b, loc, next, ValueRange{arith::ConstantIndexOp::create(b, loc, e)},
          /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
  }
}

/// The copy-out of a chunk's output rows: a loop after `hosts` in the
/// prepare loop's block whose body writes a 1-D f32 vector into a buffer
/// view from outside it (the scan's result, not a chunk-local buffer) at
/// indices that move with the step.
struct CopyOut {
  scf::ForOp loop;
  vector::TransferWriteOp write;
  SmallVector<Operation *> slice;
};

static std::optional<CopyOut> findCopyOut(scf::ForOp prepare,
                                          scf::ForOp lastHost) {
  for (Operation *op = lastHost->getNextNode(); op; op = op->getNextNode()) {
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop || loop->hasAttr("hymir.chunk_tiles"))
      continue;
    Value iv = loop.getInductionVar();
    for (Operation &inner : loop.getBody()->without_terminator()) {
      auto write = dyn_cast<vector::TransferWriteOp>(&inner);
      if (!write || write.getVectorType().getRank() != 1 ||
          !write.getVectorType().getElementType().isF32())
        continue;
      Value dest = write.getBase();
      auto type = dyn_cast<MemRefType>(dest.getType());
      if (!type || !loop.isDefinedOutsideOfLoop(dest) ||
          dest.getDefiningOp<memref::AllocOp>() ||
          dest.getDefiningOp<memref::AllocaOp>())
        continue;
      int64_t offset;
      SmallVector<int64_t> strides;
      if (failed(type.getStridesAndOffset(strides, offset)) ||
          strides.back() != 1)
        continue;
      SetVector<Operation *> slice;
      if (!sliceInBody(llvm::to_vector(write.getIndices()), loop.getBody(),
                       slice))
        continue;
      // Only the leading indices may move with the step: the vector runs
      // along the last dimension from its index.
      ValueRange indices = write.getIndices();
      if (dependsOn(indices.back(), iv, slice) ||
          llvm::none_of(indices.drop_back(),
                        [&](Value i) { return dependsOn(i, iv, slice); }))
        continue;
      return CopyOut{loop, write, SmallVector<Operation *>(slice.begin(),
                                                          slice.end())};
    }
  }
  return std::nullopt;
}

/// Prefetches for writing, at `b`, every line of the row that step `step`
/// of `copyOut` writes; the indices that move with the step are clamped to
/// the buffer's last row.
static void emitWritePrefetches(OpBuilder &b, Location loc, Value step,
                                CopyOut copyOut) {
  Value iv = copyOut.loop.getInductionVar();
  IRMapping mapping;
  mapping.map(iv, step);
  for (Operation *op : copyOut.slice)
    b.clone(*op, mapping);
  SetVector<Operation *> slice(copyOut.slice.begin(), copyOut.slice.end());
  Value dest = copyOut.write.getBase();
  SmallVector<Value> indices;
  for (auto [d, index] : llvm::enumerate(copyOut.write.getIndices())) {
    if (!dependsOn(index, iv, slice)) {
      indices.push_back(index);
      continue;
    }
    Value extent = memref::DimOp::create(b, loc, dest, d);
    Value last = arith::SubIOp::create(
        b, loc, extent, arith::ConstantIndexOp::create(b, loc, 1));
    indices.push_back(
        arith::MinSIOp::create(b, loc, mapping.lookupOrDefault(index), last));
  }
  Value column = indices.back();
  int64_t width = copyOut.write.getVectorType().getDimSize(0);
  for (int64_t e : lineStarts(width)) {
    indices.back() = e == 0 ? column
                            : arith::AddIOp::create(
                                  b, loc, column,
                                  arith::ConstantIndexOp::create(b, loc, e))
                                  .getResult();
    memref::PrefetchOp::create(b, loc, dest, indices, /*isWrite=*/true,
                               /*localityHint=*/3, /*isDataCache=*/true);
  }
}

static void prefetchRows(scf::ForOp loop, int64_t distance) {
  Block *body = loop.getBody();
  Value iv = loop.getInductionVar();
  // Rows: 1-D contiguous f32 views of a buffer from outside the loop whose
  // offsets move with the step.
  SmallVector<memref::SubViewOp> rows;
  SetVector<Operation *> slice;
  for (Operation &op : body->without_terminator()) {
    auto row = dyn_cast<memref::SubViewOp>(&op);
    if (!row || !loop.isDefinedOutsideOfLoop(row.getSource()))
      continue;
    MemRefType type = row.getType();
    int64_t offset;
    SmallVector<int64_t> strides;
    if (type.getRank() != 1 || !type.hasStaticShape() ||
        !type.getElementType().isF32() ||
        failed(type.getStridesAndOffset(strides, offset)) || strides[0] != 1)
      continue;
    SetVector<Operation *> rowSlice;
    if (!sliceInBody(llvm::to_vector(row.getOffsets()), body, rowSlice))
      continue;
    if (llvm::none_of(row.getOffsets(),
                      [&](Value o) { return dependsOn(o, iv, rowSlice); }))
      continue;
    rows.push_back(row);
    slice.insert(rowSlice.begin(), rowSlice.end());
  }
  if (rows.empty())
    return;
  SmallVector<Operation *> sorted(slice.begin(), slice.end());
  llvm::sort(sorted, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  Location loc = loop.getLoc();

  // Spread over the products' tile loops that follow: the steps [0, C) of
  // the next chunk are split evenly over their iterations (iteration g of
  // N in all prefetches the steps [g C / N, (g + 1) C / N)), so the lines
  // arrive while the FMAs run instead of in one burst that the prepare
  // loop stalls on. The offsets depend on the step only through the
  // cloned slice and on values defined before the prepare loop, which
  // dominate its block's later ops.
  SmallVector<std::pair<scf::ForOp, int64_t>> hosts = hostLoops(loop);
  int64_t total = 0;
  for (auto &host : hosts)
    total += host.second;
  // The current chunk's output rows, which the copy-out after the products
  // stores to, are prefetched for writing in the same loops: the stores
  // then find their lines in the cache instead of each missing.
  std::optional<CopyOut> copyOut;
  if (!hosts.empty())
    copyOut = findCopyOut(loop, hosts.back().first);
  if (total > 0) {
    int64_t base = 0;
    for (auto [host, count] : hosts) {
      OpBuilder b(host.getBody(), host.getBody()->begin());
      auto cst = [&](int64_t v) -> Value {
        return arith::ConstantIndexOp::create(b, loc, v);
      };
      // g = base + (iv − lb) / step.
      Value rel = arith::SubIOp::create(b, loc, host.getInductionVar(),
                                        host.getLowerBound());
      Value g = arith::AddIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, rel, host.getStep()),
          cst(base));
      auto stepOf = [&](Value g) -> Value {
        return arith::DivUIOp::create(
            b, loc, arith::MulIOp::create(b, loc, g, cst(distance)),
            cst(total));
      };
      Value begin = stepOf(g);
      Value end = stepOf(arith::AddIOp::create(b, loc, g, cst(1)));
      scf::ForOp::create(
          b, loc, begin, end, cst(1), ValueRange{},
          [&](OpBuilder &b, Location loc, Value s, ValueRange) {
            Value ahead = arith::AddIOp::create(
                b, loc, s, arith::ConstantIndexOp::create(b, loc, distance));
            emitPrefetches(b, loc, iv, ahead, sorted, rows);
            if (copyOut)
              emitWritePrefetches(b, loc, s, *copyOut);
            scf::YieldOp::create(b, loc);
          });
      base += count;
    }
    return;
  }

  // No products to hide them in: at the top of the prepare body, the step
  // `distance` ahead.
  OpBuilder b(body, body->begin());
  Value ahead = arith::AddIOp::create(
      b, loc, iv, arith::ConstantIndexOp::create(b, loc, distance));
  emitPrefetches(b, loc, iv, ahead, sorted, rows);
}

struct PrefetchChunkRowsPass
    : public hymir::impl::PrefetchChunkRowsPassBase<PrefetchChunkRowsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<std::pair<scf::ForOp, int64_t>> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      if (auto c = loop->getAttrOfType<IntegerAttr>("hymir.chunk_prepare"))
        loops.push_back({loop, c.getInt()});
    });
    for (auto [loop, distance] : loops)
      prefetchRows(loop, distance);
  }
};

} // namespace
