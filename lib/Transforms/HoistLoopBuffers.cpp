//===- HoistLoopBuffers.cpp - hymir-hoist-loop-buffers --------------------===//
//
// One buffer per (batch, head) for the temporaries of a scan step instead of
// one malloc per step (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#define DEBUG_TYPE "hymir-hoist-loop-buffers"

namespace hymir {
#define GEN_PASS_DEF_HOISTLOOPBUFFERSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// The unconditional dealloc of `alloc` in its own block, or null.
static memref::DeallocOp soleDealloc(memref::AllocOp alloc) {
  memref::DeallocOp dealloc;
  SmallVector<Value> views{alloc.getResult()};
  while (!views.empty()) {
    Value view = views.pop_back_val();
    for (Operation *user : view.getUsers()) {
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        if (dealloc || view != alloc.getResult() ||
            d->getBlock() != alloc->getBlock())
          return {};
        dealloc = d;
        continue;
      }
      if (user->hasTrait<OpTrait::IsTerminator>() || isa<func::CallOp>(user))
        return {};
      if (auto viewLike = dyn_cast<ViewLikeOpInterface>(user))
        if (viewLike.getViewSource() == view)
          views.push_back(viewLike->getResult(0));
    }
  }
  return dealloc;
}

struct HoistLoopBuffersPass
    : public hymir::impl::HoistLoopBuffersPassBase<HoistLoopBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<memref::AllocOp> candidates;
      getOperation().walk([&](memref::AllocOp alloc) {
        if (alloc.getDynamicSizes().empty() &&
            alloc.getSymbolOperands().empty() &&
            isa<scf::ForOp>(alloc->getParentOp()) && soleDealloc(alloc))
          candidates.push_back(alloc);
      });
      for (memref::AllocOp alloc : candidates) {
        memref::DeallocOp dealloc = soleDealloc(alloc);
        Operation *loop = alloc->getParentOp();
        alloc->moveBefore(loop);
        dealloc->moveAfter(loop);
        changed = true;
      }
    }
  }
};

} // namespace
