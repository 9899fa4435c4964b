//===- FuseElementwise.cpp - hymir-fuse-elementwise -----------------------===//
//
// Upstream element-wise fusion, single-use producers only (see the pass
// description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "hymir-fuse-elementwise"

namespace hymir {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// Only into the single user: fusing into several users would recompute the
/// producer in each, and a user that recomputes the state update from the old
/// state after it was updated in place forces bufferization to keep a copy of
/// the old state. Nor into a consumer that broadcasts the producer's result
/// (reads it with fewer dims than it has loops): that would recompute each
/// element of the producer once per broadcast element, e.g. a step's
/// l2-normalized query, a sqrt and a division, once per element of the
/// [K, V] state in the read Sᵀq instead of once per key.
static bool shouldFuse(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto consumer = dyn_cast<linalg::GenericOp>(fused->getOwner());
  return !consumer || consumer.getMatchingIndexingMap(fused).getNumResults() ==
                          consumer.getNumLoops();
}

struct FuseElementwisePass
    : public hymir::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
