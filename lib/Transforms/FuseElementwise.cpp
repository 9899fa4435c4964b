//===- FuseElementwise.cpp - hymir-fuse-elementwise -----------------------===//
//
// Upstream element-wise fusion, single-use producers only (or, with
// shared-cheap, one-op producers into all their point-wise users), and none
// that fusion would recompute (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
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

/// Whether the generic that owns `use` reads it once per point of its
/// iteration space (no broadcast): fusing recomputes nothing.
static bool readsPointwise(OpOperand &use) {
  auto user = dyn_cast<linalg::GenericOp>(use.getOwner());
  return user && user.getMatchingIndexingMap(&use).getNumResults() ==
                     user.getNumLoops();
}

/// A producer cheap enough to recompute in each of its users: a scaled or
/// shifted state (`exp(g) S` of a step, with the factor computed outside)
/// is one multiply per element, while writing it out and reading it back is
/// a pass over the state. All its users must read it point-wise from the
/// same block, so that it disappears entirely. (A user that updated the
/// producer's input in place before another user read it would cost a copy
/// in bufferization, not a wrong result; the decode step's input state is
/// read-only.)
static bool isCheapSharedProducer(Operation *producer) {
  auto generic = dyn_cast<linalg::GenericOp>(producer);
  if (!generic || generic.getNumDpsInits() != 1 ||
      generic.getNumReductionLoops() != 0 || generic.hasIndexSemantics())
    return false;
  int arithmetic = 0;
  for (Operation &op : generic.getBody()->without_terminator()) {
    if (!isa<arith::MulFOp, arith::AddFOp, arith::SubFOp, arith::NegFOp>(op))
      return false;
    ++arithmetic;
  }
  if (arithmetic > 1)
    return false;
  // The init is not read (pure map), so no user can alias it with a read.
  if (generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
    return false;
  for (OpOperand &use : producer->getResult(0).getUses())
    if (use.getOwner()->getBlock() != producer->getBlock() ||
        !readsPointwise(use))
      return false;
  return true;
}

/// Only into the single user (or, with `sharedCheap`, into every user of a
/// cheap shared producer): fusing into several users would recompute the
/// producer in each, and a user that recomputes the state update from the old
/// state after it was updated in place forces bufferization to keep a copy of
/// the old state. Nor where fusion would recompute the producer: into a
/// consumer that broadcasts it (reads it with fewer dims than it has loops:
/// a step's l2-normalized query, a sqrt and a division, once per element of
/// the [K, V] state in the read Sᵀq instead of once per key; softplus(Δ) per
/// row once per element of a [D, N] state), or, defined outside a loop
/// around its consumer (a per-head parameter like Mamba's A = −exp(A_log)),
/// on every step.
static bool shouldFuse(OpOperand *fused, bool sharedCheap) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || (!producer->hasOneUse() &&
                    !(sharedCheap && isCheapSharedProducer(producer))))
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
    bool cheap = sharedCheap;
    linalg::populateElementwiseOpsFusionPatterns(
        patterns,
        [cheap](OpOperand *fused) { return shouldFuse(fused, cheap); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
