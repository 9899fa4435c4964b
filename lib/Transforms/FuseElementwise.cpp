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
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "hymir-fuse-elementwise"

namespace hymir {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// Whether the body of `op` computes something beyond plain arithmetic: a
/// math op (exp, log1p, ...) or a division, each worth more than a loop
/// trip's loads and stores.
static bool hasCostlyBody(linalg::GenericOp op) {
  WalkResult found = op.getRegion().walk([](Operation *inner) {
    return isa<math::MathDialect>(inner->getDialect()) ||
                   isa<arith::DivFOp, arith::RemFOp>(inner)
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  return found.wasInterrupted();
}

/// Only into the single user: fusing into several users would recompute the
/// producer in each, and a user that recomputes the state update from the old
/// state after it was updated in place forces bufferization to keep a copy of
/// the old state. Nor where fusion recomputes: a producer outside a loop
/// around its consumer (a per-head parameter like Mamba's A = −exp(A_log))
/// would be recomputed on every step, and a costly producer that the
/// consumer broadcasts (softplus(Δ) per row, read by every element of a
/// [D, N] state) once per broadcast element.
static bool shouldFuse(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  Operation *consumer = fused->getOwner();
  for (Operation *p = consumer->getParentOp(); p && !p->isAncestor(producer);
       p = p->getParentOp())
    if (isa<LoopLikeOpInterface>(p))
      return false;
  auto generic = dyn_cast<linalg::GenericOp>(producer);
  auto user = dyn_cast<linalg::LinalgOp>(consumer);
  if (generic && user && hasCostlyBody(generic) &&
      !user.getMatchingIndexingMap(fused).isPermutation())
    return false;
  return true;
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
