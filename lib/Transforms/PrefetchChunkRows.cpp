//===- PrefetchChunkRows.cpp - hymir-prefetch-chunk-rows ------------------===//
//
// Software prefetch of the next chunk's input rows in the prepare loops of
// the chunked scans (see the pass description in Passes.td). A step of the
// prepare loop reads one row of each input, rows one (batch · heads · dim)
// stride apart: 8 KiB at H = 16, D = 128, more than the hardware prefetchers
// follow across pages, so every row is a cache miss the prepare loop waits
// for. Prefetching the rows of step i + C while preparing step i issues them
// a whole chunk of products ahead of their use.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

  // At the top of the body: the step `distance` ahead and its offsets.
  OpBuilder b(body, body->begin());
  Location loc = loop.getLoc();
  Value ahead = arith::AddIOp::create(
      b, loc, iv, arith::ConstantIndexOp::create(b, loc, distance));
  IRMapping mapping;
  mapping.map(iv, ahead);
  for (Operation *op : sorted)
    b.clone(*op, mapping);

  for (memref::SubViewOp row : rows) {
    // Offsets that move with the step are clamped to the last row (the
    // last chunk prefetches it again instead of reading past the buffer).
    SmallVector<OpFoldResult> offsets;
    bool ok = true;
    for (auto [d, offset] : llvm::enumerate(row.getMixedOffsets())) {
      auto value = dyn_cast<Value>(offset);
      if (!value || !dependsOn(value, iv, slice)) {
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
    for (int64_t e = 0; e < row.getType().getDimSize(0); e += kLineElements)
      memref::PrefetchOp::create(
          b, loc, next, ValueRange{arith::ConstantIndexOp::create(b, loc, e)},
          /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
  }
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
