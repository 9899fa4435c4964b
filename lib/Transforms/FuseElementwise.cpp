//===- FuseElementwise.cpp - hymir-fuse-elementwise -----------------------===//
//
// Upstream element-wise fusion, single-use producers only, and none that
// fusion would recompute (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
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
/// the old state. Nor where fusion would recompute the producer: into a
/// consumer that broadcasts it (reads it with fewer dims than it has loops:
/// a step's l2-normalized query, a sqrt and a division, once per element of
/// the [K, V] state in the read Sᵀq instead of once per key; softplus(Δ) per
/// row once per element of a [D, N] state), or, defined outside a loop
/// around its consumer (a per-head parameter like Mamba's A = −exp(A_log)),
/// on every step.
static bool shouldFuse(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  Operation *consumer = fused->getOwner();
  for (Operation *p = consumer->getParentOp(); p && !p->isAncestor(producer);
       p = p->getParentOp())
    if (isa<LoopLikeOpInterface>(p))
      return false;
  auto user = dyn_cast<linalg::GenericOp>(consumer);
  return !user || user.getMatchingIndexingMap(fused).getNumResults() ==
                      user.getNumLoops();
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
