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
/// the old state.
static bool shouldFuse(OpOperand *fused, bool recompute) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  if (recompute)
    return true;
  // Without recomputation: the consumer must read each producer element in
  // exactly one of its iterations.
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  return consumer && consumer.getMatchingIndexingMap(fused).isPermutation();
}

struct FuseElementwisePass
    : public hymir::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    bool recomputeProducers = recompute;
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [recomputeProducers](OpOperand *fused) {
          return shouldFuse(fused, recomputeProducers);
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
