//===- PromoteLoopAccumulators.cpp - hymir-promote-loop-accumulators ------===//
//
// A reduction lowered to loops reads and writes its accumulator in memory on
// every iteration (`x = load A[i]; store x + ..., A[i]` with i invariant). On
// the GPU that is a memory round trip per term: LLVM cannot keep the value in
// a register because the loop's other loads might alias A (all kernel
// temporaries are views of one workspace by then). Here, where buffers are
// still distinct allocations, the accumulator becomes an iter_arg of the
// loop: loaded once before it, stored once after.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#define DEBUG_TYPE "hymir-promote-loop-accumulators"

namespace hymir {
#define GEN_PASS_DEF_PROMOTELOOPACCUMULATORSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// The buffer a memref value views: through view-like ops to an allocation
/// or a block argument.
static Value rootOf(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  return memref;
}

/// Whether two roots may be the same memory: distinct allocations never are;
/// an allocation is never a function argument; anything else may be.
static bool mayAlias(Value a, Value b) {
  if (a == b)
    return true;
  bool allocA = a.getDefiningOp<memref::AllocOp>() ||
                a.getDefiningOp<memref::AllocaOp>();
  bool allocB = b.getDefiningOp<memref::AllocOp>() ||
                b.getDefiningOp<memref::AllocaOp>();
  return !(allocA || allocB);
}

/// The load/store pair of `loop` to promote for `store`, or null: the same
/// memref and indices, all defined outside the loop, the load before the
/// store in the loop's own block, and no other access in the loop (nested
/// ones included) to memory that may alias it.
static memref::LoadOp matchAccumulator(scf::ForOp loop, memref::StoreOp store) {
  auto invariant = [&](Value v) { return loop.isDefinedOutsideOfLoop(v); };
  if (!invariant(store.getMemRef()) ||
      !llvm::all_of(store.getIndices(), invariant))
    return {};
  Value root = rootOf(store.getMemRef());
  if (!root.getDefiningOp<memref::AllocOp>() &&
      !root.getDefiningOp<memref::AllocaOp>())
    return {};
  memref::LoadOp load;
  WalkResult r = loop.getBody()->walk([&](Operation *op) {
    if (op == store)
      return WalkResult::advance();
    if (auto l = dyn_cast<memref::LoadOp>(op)) {
      if (!mayAlias(rootOf(l.getMemRef()), root))
        return WalkResult::advance();
      if (load || l->getBlock() != store->getBlock() ||
          l.getMemRef() != store.getMemRef() ||
          l.getIndices() != store.getIndices() ||
          !l->isBeforeInBlock(store))
        return WalkResult::interrupt();
      load = l;
      return WalkResult::advance();
    }
    if (auto s = dyn_cast<memref::StoreOp>(op))
      return mayAlias(rootOf(s.getMemRef()), root) ? WalkResult::interrupt()
                                                   : WalkResult::advance();
    if (isMemoryEffectFree(op) || isa<scf::YieldOp>(op) ||
        op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    return WalkResult::interrupt(); // other memory effects: keep it in memory
  });
  if (r.wasInterrupted())
    return {};
  return load;
}

struct PromoteLoopAccumulatorsPass
    : public hymir::impl::PromoteLoopAccumulatorsPassBase<
          PromoteLoopAccumulatorsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops) { // innermost first
      for (bool changed = true; changed;) {
        changed = false;
        for (auto store : loop.getBody()->getOps<memref::StoreOp>()) {
          memref::LoadOp load = matchAccumulator(loop, store);
          if (!load)
            continue;
          Value memref = load.getMemRef();
          SmallVector<Value> indices(load.getIndices());
          rewriter.setInsertionPoint(loop);
          Value init = memref::LoadOp::create(rewriter, load.getLoc(), memref,
                                              indices);
          Value stored = store.getValueToStore();
          // The body moves to the new loop as it is: `load` and `store`
          // stay valid.
          FailureOr<LoopLikeOpInterface> promoted =
              loop.replaceWithAdditionalYields(
                  rewriter, init, /*replaceInitOperandUsesInLoop=*/false,
                  [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                    return SmallVector<Value>{stored};
                  });
          if (failed(promoted))
            break;
          loop = cast<scf::ForOp>(promoted->getOperation());
          rewriter.replaceOp(load, loop.getRegionIterArgs().back());
          rewriter.eraseOp(store);
          rewriter.setInsertionPointAfter(loop);
          memref::StoreOp::create(rewriter, loop.getLoc(),
                                  loop.getResults().back(), memref, indices);
          ++numPromoted;
          changed = true;
          break;
        }
      }
    }
  }
};

} // namespace
